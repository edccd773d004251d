// The results panel: the run's status, elapsed time and row count, cancel, copy and export,
// its error (with the catalogue's cause and fix, linked to the SQL), the grid; and the history.
import { useEffect, useRef, useState, useSyncExternalStore } from "react";
import type { RunController, RunSnapshot } from "./controller";
import { ExportLink } from "./ExportLink";
import { errorPosition, lineColumn } from "./errorLink";
import { Grid, type GridHandle } from "./Grid";
import { History } from "./History";

const RUNNING = new Set(["QUEUED", "STARTING", "RUNNING"]);

function elapsed(snapshot: RunSnapshot, now: number): string | null {
  if (!snapshot.queuedAt) return null;
  const start = Date.parse(snapshot.queuedAt);
  const end = snapshot.finishedAt ? Date.parse(snapshot.finishedAt) : now;
  const seconds = Math.max(0, (end - start) / 1000);
  return seconds < 60
    ? `${seconds.toFixed(1)} s`
    : `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
}

function useNow(active: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(() => setNow(Date.now()), 200);
    return () => clearInterval(timer);
  }, [active]);
  return now;
}

interface Props {
  controller: RunController;
  /** Select a range of the editor's text (UTF-16 offsets) and focus it. */
  showInSql: (from: number, to: number) => void;
  /** Code point ranges from the API. */
  showFinding: (start: number, end: number) => void;
  openRun: (runId: string, sql: string) => void;
}

export function ResultsPanel({ controller, showInSql, showFinding, openRun }: Props) {
  const snapshot = useSyncExternalStore(controller.subscribe, controller.getSnapshot);
  const [view, setView] = useState<"results" | "history">("results");
  const grid = useRef<GridHandle>(null);
  const running = snapshot.submitting || (snapshot.status !== null && RUNNING.has(snapshot.status));
  const now = useNow(running);
  const total =
    snapshot.rows.total ?? (snapshot.status === "COMPLETE" ? (snapshot.rowCount ?? 0) : 0);
  const time = elapsed(snapshot, now);
  const notStarted =
    snapshot.runId === null && (snapshot.problem !== null || snapshot.findings.length > 0);
  const status = snapshot.submitting
    ? "submitting"
    : (snapshot.status?.toLowerCase() ?? (notStarted ? "not started" : "no run"));
  const errorAt = snapshot.error ? errorPosition(snapshot.sql, snapshot.error.message) : null;

  return (
    <section className="results" aria-label="Results">
      <div className="results-bar">
        <div role="tablist" aria-label="Results views" className="mini-tabs">
          <button
            type="button"
            role="tab"
            aria-selected={view === "results"}
            onClick={() => setView("results")}
          >
            Results
          </button>
          <button
            type="button"
            role="tab"
            aria-selected={view === "history"}
            onClick={() => setView("history")}
          >
            History
          </button>
        </div>
        <span
          className={`badge status-${status.replaceAll(" ", "-")}`}
          data-field="run-status"
          role="status"
        >
          {status}
        </span>
        {time && (
          <span className="muted" data-field="run-elapsed">
            {time}
          </span>
        )}
        {snapshot.status === "COMPLETE" && (
          <span data-field="row-count">
            {total.toLocaleString()} rows
            {snapshot.stream !== "done" && snapshot.rows.size < total && (
              <span className="muted"> ({snapshot.rows.size.toLocaleString()} loaded)</span>
            )}
          </span>
        )}
        {snapshot.stream === "reconnecting" && <span className="warn">Reconnecting…</span>}
        <span className="spacer" />
        {running && snapshot.runId && (
          <button type="button" onClick={() => void controller.cancel()} data-action="cancel">
            Cancel
          </button>
        )}
        {snapshot.status === "COMPLETE" && total > 0 && (
          <>
            <button
              type="button"
              onClick={() => grid.current?.copySelection(false)}
              title="Copy the selected cells (Ctrl+C)"
            >
              Copy cells
            </button>
            <button
              type="button"
              onClick={() => grid.current?.copySelection(true)}
              title="Copy the selected rows with column names"
            >
              Copy with header
            </button>
            {snapshot.runId && <ExportLink runId={snapshot.runId} />}
          </>
        )}
      </div>
      {view === "history" ? (
        <div className="results-body">
          <History
            onOpen={(runId, sql) => {
              setView("results");
              openRun(runId, sql);
            }}
          />
        </div>
      ) : (
        <div className="results-body">
          {snapshot.problem && (
            <p className="panel-note error" role="alert" data-field="run-problem">
              {snapshot.problem}
            </p>
          )}
          {snapshot.findings.length > 0 && (
            <ul className="findings" aria-label="Why the run did not start">
              {snapshot.findings.map((finding, index) => (
                <li key={`${finding.code}-${index}`}>
                  <strong>{finding.message}</strong>
                  {finding.suggestion && <span> Fix: {finding.suggestion}</span>}
                  {finding.start !== null && finding.end !== null && (
                    <button
                      type="button"
                      className="link"
                      onClick={() => showFinding(finding.start!, finding.end!)}
                    >
                      Line {finding.line}, column {finding.column}
                    </button>
                  )}
                </li>
              ))}
            </ul>
          )}
          {snapshot.error && (
            <div className="run-error" role="alert" data-field="run-error">
              <p>
                <strong>{snapshot.error.message}</strong>{" "}
                <span className="muted">({snapshot.error.code})</span>
              </p>
              {snapshot.error.cause && <p>Cause: {snapshot.error.cause}</p>}
              {snapshot.error.fix && <p>Fix: {snapshot.error.fix}</p>}
              {errorAt && (
                <button
                  type="button"
                  className="link"
                  onClick={() => showInSql(errorAt.from, errorAt.to)}
                >
                  Show in SQL (line {lineColumn(snapshot.sql, errorAt.from).line}, column{" "}
                  {lineColumn(snapshot.sql, errorAt.from).column})
                </button>
              )}
            </div>
          )}
          {snapshot.status === "COMPLETE" && snapshot.columns.length > 0 ? (
            <Grid
              ref={grid}
              columns={snapshot.columns}
              rows={snapshot.rows}
              rowsVersion={snapshot.rowsVersion}
              total={total}
            />
          ) : (
            !snapshot.problem &&
            !snapshot.error &&
            snapshot.findings.length === 0 && (
              <p className="panel-note muted">
                {running
                  ? "Running in Marketing Cloud… rows appear here as soon as it finishes."
                  : snapshot.status === "CANCELED"
                    ? "The run was canceled."
                    : "Run a query (Ctrl+Enter) to see its rows here."}
              </p>
            )
          )}
        </div>
      )}
    </section>
  );
}
