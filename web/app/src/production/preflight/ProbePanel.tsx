// A probe's progress (the run's status and time) and, once measured, what it found.
import { useEffect, useState } from "react";
import type { ProductionHost } from "../host";
import { Findings } from "./Findings";
import type { ProbeState } from "./probe";

function seconds(from: string | null, to: string | null, now: number): string {
  if (!from) return "";
  const end = to ? Date.parse(to) : now;
  return `${Math.max(0, (end - Date.parse(from)) / 1000).toFixed(1)} s`;
}

export function ProbePanel({ probe, host }: { probe: ProbeState; host: ProductionHost }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (probe.done) return;
    const timer = setInterval(() => setNow(Date.now()), 250);
    return () => clearInterval(timer);
  }, [probe.done]);
  const report = probe.report;
  return (
    <div className="q-probe-result" data-field="probe" data-status={probe.probeStatus}>
      <p role="status" className="q-progress">
        <span className={`badge status-${probe.runStatus.toLowerCase()}`}>
          {probe.runStatus.toLowerCase()}
        </span>{" "}
        {probe.done ? `Probe ${probe.probeStatus.toLowerCase()}` : "Measuring…"}{" "}
        <span className="muted">{seconds(probe.queuedAt, probe.finishedAt, now)}</span>
        {!probe.done && <progress aria-label="Probe progress" />}
      </p>
      {probe.problem && <p className="error">{probe.problem}</p>}
      {probe.message && probe.probeStatus !== "MEASURED" && (
        <p className="error">{probe.message}</p>
      )}
      {report && (
        <>
          <p
            className={report.willFail ? "error q-verdict" : "ok q-verdict"}
            data-field="probe-verdict"
          >
            {report.willFail
              ? `The activity would fail: ${report.rowCount.toLocaleString()} rows measured.`
              : `${report.rowCount.toLocaleString()} rows measured: nothing the activity would fail on.`}
          </p>
          <Findings
            findings={report.findings}
            host={host}
            label="What the probe found"
            empty="The probe found nothing to fail on."
          />
          {report.columns.length > 0 && (
            <table className="q-table" aria-label="Measured columns">
              <thead>
                <tr>
                  <th scope="col">Column</th>
                  <th scope="col">Field</th>
                  <th scope="col">NULL rows</th>
                  <th scope="col">Longest</th>
                  <th scope="col">Field holds</th>
                  <th scope="col">Rows too long</th>
                </tr>
              </thead>
              <tbody>
                {report.columns.map((c) => (
                  <tr key={c.column}>
                    <td>{c.column}</td>
                    <td>{c.field}</td>
                    <td className="num">{c.nullRows ?? "—"}</td>
                    <td className="num">{c.longest ?? "—"}</td>
                    <td className="num">{c.limit ?? "—"}</td>
                    <td className="num">{c.tooLongRows ?? "—"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {report.duplicateKeyValues !== null && (
            <p className="muted">
              Primary-key values found more than once: {report.duplicateKeyValues} (on{" "}
              {report.duplicateKeyRows ?? 0} rows)
              {report.keysInTarget !== null
                ? ` · keys already in the target: ${report.keysInTarget}`
                : ""}
            </p>
          )}
        </>
      )}
    </div>
  );
}
