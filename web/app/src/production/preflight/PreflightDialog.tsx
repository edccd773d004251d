// Pre-flight: what Marketing Cloud would refuse or fail on when the current tab's SQL runs as
// a query activity writing into a target, checked from the metadata cache as you choose the
// target and update type; then, optionally, a probe that measures it on the real data.
import { useEffect, useRef, useState } from "react";
import { request } from "../../api/http";
import { describeProblem } from "../../api/problems";
import type { Live } from "../../api/ws";
import type { UpdateType } from "../../gql/graphql";
import { Dialog } from "../common/Dialog";
import { type Problem, problemsOf } from "../common/errors";
import { ProblemList } from "../common/Messages";
import { type PickedTarget, TargetPicker } from "../common/TargetPicker";
import { UpdateTypeChoice } from "../common/UpdateTypes";
import type { ProductionHost } from "../host";
import { CheckQueryTargetQuery, ProbeQueryTargetMutation } from "./operations";
import { ProbePanel } from "./ProbePanel";
import { followProbe, initialProbe, type ProbeState } from "./probe";
import { type PreflightReport, Report } from "./Report";

export interface PreflightMemory {
  target: PickedTarget | null;
  updateType: UpdateType;
}

export function PreflightDialog({
  host,
  onClose,
  memory,
  remember,
}: {
  host: ProductionHost;
  onClose: () => void;
  memory: PreflightMemory;
  remember: (memory: PreflightMemory) => void;
}) {
  const [target, setTarget] = useState<PickedTarget | null>(memory.target);
  const [updateType, setUpdateType] = useState<UpdateType>(memory.updateType);
  const [report, setReport] = useState<PreflightReport | null>(null);
  const [refused, setRefused] = useState<Problem[]>([]);
  const [checking, setChecking] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const [generation, setGeneration] = useState(0);
  const [probe, setProbe] = useState<ProbeState | null>(null);
  const [probeRefused, setProbeRefused] = useState<Problem[]>([]);
  const follower = useRef<Live | null>(null);
  const sql = host.sql();

  useEffect(() => remember({ target, updateType }), [target, updateType, remember]);
  useEffect(() => () => follower.current?.stop(), []);

  // biome-ignore lint/correctness/useExhaustiveDependencies: generation asks for a new check
  useEffect(() => {
    if (!target) return;
    let current = true;
    setChecking(true);
    setProblem(null);
    const timer = setTimeout(() => {
      request(CheckQueryTargetQuery, { sql, targetKey: target.customerKey, updateType, mid: null })
        .then((data) => {
          if (!current) return;
          setReport(data.checkQueryTarget.report);
          setRefused(problemsOf(data.checkQueryTarget.userErrors, "error"));
        })
        .catch((error) => current && setProblem(describeProblem(error)))
        .finally(() => current && setChecking(false));
    }, 150);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [target, updateType, sql, generation]);

  const startProbe = async () => {
    if (!target) return;
    follower.current?.stop();
    setProbeRefused([]);
    setProbe(null);
    try {
      const data = await request(ProbeQueryTargetMutation, {
        input: { sql, targetKey: target.customerKey, updateType, mid: null },
      });
      const answer = data.probeQueryTarget;
      if (!answer.run) {
        setProbeRefused(problemsOf(answer.userErrors, "error"));
        return;
      }
      setProbe(initialProbe(answer.run.id));
      follower.current = followProbe(answer.run.id, (change) =>
        setProbe((s) => (s ? change(s) : s)),
      );
    } catch (error) {
      setProbeRefused([
        { code: "REQUEST", field: null, message: describeProblem(error), severity: "error" },
      ]);
    }
  };

  return (
    <Dialog
      title="Pre-flight check"
      name="preflight"
      size="wide"
      onClose={onClose}
      subtitle={`What Marketing Cloud would refuse or fail on when “${host.tabTitle()}” runs as a query activity.`}
    >
      <div className="q-grid2">
        <TargetPicker label="Target data extension" value={target} onPick={setTarget} />
        <UpdateTypeChoice
          name="preflight-update-type"
          value={updateType}
          onChange={setUpdateType}
        />
      </div>
      {!target && (
        <p className="muted">Pick the data extension the query activity would write into.</p>
      )}
      {problem && (
        <p className="error" role="alert">
          {problem}
        </p>
      )}
      <ProblemList problems={refused} label="The check was refused" />
      {target && (
        <div className="q-row">
          <button
            type="button"
            onClick={() => setGeneration((g) => g + 1)}
            disabled={checking}
            data-action="check-again"
          >
            {checking ? "Checking…" : "Check again"}
          </button>
          <span className="muted">
            Checked from the metadata cache: nothing is sent to Marketing Cloud.
          </span>
        </div>
      )}
      {report && <Report report={report} host={host} />}
      {report && (
        <section className="q-probe" aria-label="Probe">
          <h3 className="q-section">Probe on the real data</h3>
          <p className="muted">
            Runs a measuring query in this business unit (it reads the query two or three times) and
            says on how many rows Marketing Cloud would fail: duplicate keys, NULLs in required
            fields, text too long. It writes nothing.
          </p>
          <button
            type="button"
            onClick={() => void startProbe()}
            disabled={!report.sqlValid || (probe !== null && !probe.done)}
            data-action="probe"
          >
            {probe && !probe.done ? "Probing…" : probe ? "Probe again" : "Probe"}
          </button>
          <ProblemList problems={probeRefused} label="The probe was refused" />
          {probe && <ProbePanel probe={probe} host={host} />}
        </section>
      )}
    </Dialog>
  );
}
