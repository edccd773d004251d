// One deployment followed to its end: per-BU progress from deploymentProgress (resumed from
// the last cursor after a dropped socket or a retry), then each BU's outcome from
// deployment(id): Marketing Cloud's ids, errors, drift as a SQL diff with "overwrite anyway",
// an orphaned data extension to delete; and a retry of what failed.
import { useCallback, useEffect, useRef, useState } from "react";
import { request } from "../../api/http";
import { describeProblem } from "../../api/problems";
import { type Live, live } from "../../api/ws";
import type { DeploymentQuery as DeploymentData } from "../../gql/graphql";
import { type Problem, problemsOf } from "../common/errors";
import { ProblemList } from "../common/Messages";
import { DeploymentQuery } from "../deployments/operations";
import { SqlDiff } from "../diff/SqlDiff";
import { businessUnitLabel, type ProductionHost } from "../host";
import {
  DeleteOrphanMutation,
  DeploymentProgressSubscription,
  RetryDeploymentMutation,
} from "./operations";
import { applyProgress, initialProgress, type ProgressState, STEPS, statusText } from "./progress";

export type DeploymentDetails = NonNullable<DeploymentData["deployment"]>;
const ENDED: ReadonlySet<string> = new Set(["SUCCEEDED", "PARTIAL", "FAILED"]);

function StepDots({
  steps,
  current,
  automation,
}: {
  steps: ProgressState["units"][number]["steps"];
  current: string | null;
  /** False: the deployment has no automation step. */
  automation: boolean;
}) {
  return (
    <ol className="steps" aria-label="Steps">
      {STEPS.filter((s) => s !== "DONE" && (automation || s !== "AUTOMATION")).map((name) => {
        const done = steps.find((s) => s.step === name);
        const state = done ? done.status.toLowerCase() : current === name ? "started" : "todo";
        return (
          <li key={name} className={`step step-${state}`} title={done?.message ?? undefined}>
            {name.toLowerCase()}
            <span className="visually-hidden">: {state}</span>
          </li>
        );
      })}
    </ol>
  );
}

export function Tracker({
  id,
  mids,
  host,
  onLoaded,
}: {
  id: string;
  mids: readonly string[];
  host: ProductionHost;
  onLoaded?: (deployment: DeploymentDetails) => void;
}) {
  const [progress, setProgress] = useState<ProgressState>(() => initialProgress(mids));
  const [details, setDetails] = useState<DeploymentDetails | null>(null);
  const [generation, setGeneration] = useState(0);
  const [problem, setProblem] = useState<string | null>(null);
  const [refused, setRefused] = useState<Problem[]>([]);
  const [busy, setBusy] = useState(false);
  const [completed, setCompleted] = useState(false);
  const cursor = useRef<string | null>(null);
  const onLoadedRef = useRef(onLoaded);
  onLoadedRef.current = onLoaded;

  const load = useCallback(async () => {
    try {
      const data = await request(DeploymentQuery, { id });
      if (data.deployment) {
        setDetails(data.deployment);
        onLoadedRef.current?.(data.deployment);
      }
    } catch (error) {
      setProblem(describeProblem(error));
    }
  }, [id]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: a new generation follows again
  useEffect(() => {
    void load();
    let stopped = false;
    let follower: Live | null = null;
    let poll: ReturnType<typeof setInterval> | null = null;
    try {
      follower = live({
        document: DeploymentProgressSubscription,
        variables: () => ({ id, after: cursor.current }),
        next: (data) => {
          cursor.current = data.deploymentProgress.cursor;
          setProgress((p) => applyProgress(p, data.deploymentProgress));
        },
        complete: () => {
          if (stopped) return;
          setCompleted(true);
          void load();
        },
        error: (failure) => setProblem(describeProblem(failure)),
      });
    } catch {
      // No room on the socket: ask for the deployment every two seconds instead.
      poll = setInterval(() => void load(), 2_000);
    }
    return () => {
      stopped = true;
      follower?.stop();
      if (poll !== null) clearInterval(poll);
    };
  }, [id, generation]);

  const retry = async (force: boolean) => {
    setBusy(true);
    setRefused([]);
    try {
      const data = await request(RetryDeploymentMutation, { id, force });
      const answer = data.retryDeployment;
      if (answer.deployment) {
        setProgress((p) => ({ ...p, status: answer.deployment!.status, final: false }));
        setCompleted(false);
        setGeneration((g) => g + 1);
      } else {
        setRefused(problemsOf(answer.userErrors, "error"));
      }
    } catch (error) {
      setProblem(describeProblem(error));
    } finally {
      setBusy(false);
    }
  };

  const deleteOrphan = async (mid: string) => {
    setBusy(true);
    setRefused([]);
    try {
      const data = await request(DeleteOrphanMutation, { deploymentId: id, mid });
      setRefused(problemsOf(data.deleteOrphanedDataExtension.userErrors, "error"));
      await load();
    } catch (error) {
      setProblem(describeProblem(error));
    } finally {
      setBusy(false);
    }
  };

  const ended = completed || progress.final;
  const status = ended && details && ENDED.has(details.status) ? details.status : progress.status;
  const outcomes = new Map((details?.businessUnits ?? []).map((bu) => [bu.mid, bu]));
  const known = new Set(progress.units.map((u) => u.mid));
  const rows = [
    ...progress.units,
    ...(details?.mids ?? [])
      .filter((mid) => !known.has(mid))
      .map((mid) => initialProgress([mid]).units[0]!),
  ];
  const failed = [...outcomes.values()].filter((bu) => bu.status === "FAILED").length;
  const drifted = [...outcomes.values()].filter((bu) => bu.status === "DRIFTED").length;

  return (
    <section
      className="tracker"
      aria-label="Deployment progress"
      data-field="deployment"
      data-status={status}
    >
      <p className="q-progress" role="status">
        <span className={`badge deploy-${status.toLowerCase()}`} data-field="deployment-status">
          {statusText(status)}
        </span>{" "}
        {ended ? "Finished." : "Deploying…"}
        {!ended && <progress aria-label="Deployment progress" />}
      </p>
      {problem && <p className="error">{problem}</p>}
      <ProblemList problems={refused} label="Refused" />
      <table className="q-table bu-table" aria-label="Business units">
        <thead>
          <tr>
            <th scope="col">Business unit</th>
            <th scope="col">Status</th>
            <th scope="col">Steps</th>
            <th scope="col">In Marketing Cloud</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((unit) => {
            const outcome = ended ? outcomes.get(unit.mid) : undefined;
            const shown = outcome?.status ?? unit.status;
            return (
              <tr key={unit.mid} data-mid={unit.mid} data-status={shown}>
                <th scope="row">{businessUnitLabel(host.viewer, unit.mid)}</th>
                <td>
                  <span className={`badge deploy-${shown.toLowerCase()}`}>{statusText(shown)}</span>
                  {(outcome?.error || (unit.message && unit.status === "FAILED")) && (
                    <p className="error bu-error" data-field="bu-error">
                      {outcome?.error
                        ? `${outcome.error.message} (${outcome.error.code})`
                        : unit.message}
                    </p>
                  )}
                </td>
                <td>
                  <StepDots
                    steps={unit.steps}
                    current={unit.step}
                    automation={details === null || details.automation !== null}
                  />
                </td>
                <td>
                  <div className="mce-ids">
                    {outcome?.activityObjectId && (
                      <span>
                        activity <code>{outcome.activityObjectId}</code>
                        {outcome.activityCreated ? " (created)" : " (updated)"}
                      </span>
                    )}
                    {outcome?.targetObjectId && (
                      <span>
                        target <code>{outcome.targetKey}</code>
                        {outcome.targetCreated ? " (created)" : ""}
                      </span>
                    )}
                    {outcome?.automationId && (
                      <span>
                        automation <code>{outcome.automationKey ?? outcome.automationId}</code>
                      </span>
                    )}
                    {outcome?.folderId && (
                      <span>
                        folder <code>{outcome.folderId}</code>
                      </span>
                    )}
                  </div>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>

      {ended &&
        [...outcomes.values()].map((bu) => (
          <div key={bu.mid} className="bu-notes">
            {bu.schedulePaused && (
              <p className="q-note" data-field="schedule-paused">
                {businessUnitLabel(host.viewer, bu.mid)}:{" "}
                {details?.automation?.scheduleNote ??
                  "Marketing Cloud keeps the automation's schedule paused until someone activates it in Automation Studio."}
              </p>
            )}
            {bu.mceWarnings.length > 0 && (
              <ul className="q-note">
                {bu.mceWarnings.map((w, i) => (
                  <li key={i}>Marketing Cloud: {w}</li>
                ))}
              </ul>
            )}
            {bu.drift && (
              <div className="drift" data-field="drift" data-mid={bu.mid}>
                <h4>
                  {businessUnitLabel(host.viewer, bu.mid)}: the activity was changed in Marketing
                  Cloud since Quarry deployed it ({bu.drift.changes.join(", ")}). Nothing was
                  changed.
                </h4>
                {bu.drift.changes.includes("target") && (
                  <p>
                    Target: deployed <code>{bu.drift.deployedTargetKey}</code>, now{" "}
                    <code>{bu.drift.currentTargetKey}</code>.
                  </p>
                )}
                {bu.drift.changes.includes("updateType") && (
                  <p>
                    Update type: deployed {bu.drift.deployedUpdateType}, now{" "}
                    {bu.drift.currentUpdateType}.
                  </p>
                )}
                {bu.drift.sqlDiff && (
                  <SqlDiff
                    diff={bu.drift.sqlDiff}
                    label={`SQL changes in ${businessUnitLabel(host.viewer, bu.mid)}`}
                  />
                )}
              </div>
            )}
            {bu.orphanedDataExtension && (
              <p className="q-note" data-field="orphan">
                {businessUnitLabel(host.viewer, bu.mid)}: the data extension{" "}
                <code>{bu.orphanedDataExtension.key}</code> was created for the activity, which then
                failed. A retry reuses it.{" "}
                <button
                  type="button"
                  disabled={busy}
                  onClick={() => void deleteOrphan(bu.mid)}
                  data-action="delete-orphan"
                >
                  Delete it
                </button>
              </p>
            )}
          </div>
        ))}

      {ended && (failed > 0 || drifted > 0) && (
        <div className="q-row">
          {failed > 0 && (
            <button
              type="button"
              className="primary"
              disabled={busy}
              onClick={() => void retry(false)}
              data-action="retry"
            >
              Retry the{" "}
              {failed === 1 ? "business unit that failed" : `${failed} business units that failed`}
            </button>
          )}
          {drifted > 0 && (
            <button
              type="button"
              className="danger"
              disabled={busy}
              onClick={() => void retry(true)}
              data-action="force"
            >
              Overwrite anyway
            </button>
          )}
        </div>
      )}
    </section>
  );
}
