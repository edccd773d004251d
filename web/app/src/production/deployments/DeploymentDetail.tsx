// One deployment: its SQL, settings, who and when, the findings it was recorded with, and each
// BU's outcome with Marketing Cloud's ids (the tracker, which also retries what failed). Its
// SQL opens into a tab; rolling back deploys it again as a new deployment.
import { useRef, useState } from "react";
import { request } from "../../api/http";
import { describeProblem } from "../../api/problems";
import type { RollbackMutation as RollbackData } from "../../gql/graphql";
import { type Problem, problemsOf } from "../common/errors";
import { when } from "../common/format";
import { newNonce } from "../common/keys";
import { ProblemList } from "../common/Messages";
import { UPDATE_TYPES } from "../common/UpdateTypes";
import { statusText } from "../deploy/progress";
import { type DeploymentDetails, Tracker } from "../deploy/Tracker";
import type { ProductionHost } from "../host";
import { Findings } from "../preflight/Findings";
import { RollbackMutation } from "./operations";
import { requesterText } from "./requester";

export function DeploymentDetail({
  id,
  host,
  onOpened,
  onRolledBack,
  onChanged,
}: {
  id: string;
  host: ProductionHost;
  onOpened: () => void;
  onRolledBack: (id: string) => void;
  onChanged: () => void;
}) {
  const [deployment, setDeployment] = useState<DeploymentDetails | null>(null);
  const [rollback, setRollback] = useState<RollbackData["rollbackDeployment"] | null>(null);
  const [acknowledge, setAcknowledge] = useState(false);
  const [refused, setRefused] = useState<Problem[]>([]);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const nonce = useRef(newNonce()).current;
  const lastStatus = useRef<string | null>(null);

  const roll = async () => {
    setBusy(true);
    setRefused([]);
    setProblem(null);
    try {
      const data = await request(RollbackMutation, {
        input: {
          id,
          idempotencyKey: `web-${nonce}-rollback-${acknowledge ? "ack" : "plain"}`,
          acknowledgeWarnings: acknowledge,
          force: false,
        },
      });
      const answer = data.rollbackDeployment;
      setRollback(answer);
      if (answer.deployment) onRolledBack(answer.deployment.id);
      else setRefused(problemsOf(answer.userErrors, "error"));
    } catch (error) {
      setProblem(describeProblem(error));
    } finally {
      setBusy(false);
    }
  };

  const d = deployment;
  const needsAck = rollback?.findings.some((f) => f.severity === "WARNING") ?? false;
  return (
    <article className="deployment-detail" aria-label="Deployment" data-field="deployment-detail">
      {d ? (
        <>
          <header className="detail-head">
            <h3>
              {d.activityName}{" "}
              <span className={`badge deploy-${d.status.toLowerCase()}`}>
                {statusText(d.status)}
              </span>
            </h3>
            <div className="q-row">
              <button
                type="button"
                onClick={() => {
                  host.openSql(d.activityName, d.sql);
                  onOpened();
                }}
                data-action="open-sql"
              >
                Open its SQL in a tab
              </button>
              <button
                type="button"
                onClick={() => void roll()}
                disabled={busy || (needsAck && !acknowledge)}
                data-action="rollback"
              >
                {busy ? "Rolling back…" : "Roll back to this"}
              </button>
            </div>
          </header>
          {problem && <p className="error">{problem}</p>}
          <ProblemList problems={refused} label="The rollback was refused" />
          {rollback && !rollback.deployment && rollback.findings.length > 0 && (
            <>
              <Findings findings={rollback.findings} host={host} label="Rollback findings" />
              {needsAck && (
                <label className="q-check">
                  <input
                    type="checkbox"
                    checked={acknowledge}
                    onChange={(e) => setAcknowledge(e.target.checked)}
                  />
                  I have read the warnings: roll back anyway
                </label>
              )}
            </>
          )}
          <dl className="detail-facts">
            <dt>Activity key</dt>
            <dd>
              <code>{d.activityKey}</code>
            </dd>
            <dt>Target</dt>
            <dd>
              {d.target.name ?? d.target.key} (<code>{d.target.key}</code>)
              {d.target.shared ? ", shared" : ""}
              {d.target.create ? ", created where missing" : ""}
            </dd>
            <dt>Update type</dt>
            <dd>
              {UPDATE_TYPES.find((t) => t.value === d.updateType)?.label ?? d.updateType}:{" "}
              <span className="muted">
                {UPDATE_TYPES.find((t) => t.value === d.updateType)?.meaning}
              </span>
            </dd>
            <dt>Query folder</dt>
            <dd>Query{d.folderPath ? ` / ${d.folderPath.split("/").join(" / ")}` : ""}</dd>
            {d.description && (
              <>
                <dt>Description</dt>
                <dd>{d.description}</dd>
              </>
            )}
            <dt>Deployed by</dt>
            <dd data-field="deployed-by" data-user={d.requestedBy?.id}>
              {requesterText(d.requestedBy, host.viewer)}, {when(d.createdAt)}
              {d.finishedAt ? `; finished ${when(d.finishedAt)}` : ""}
              {d.attempts > 1 ? `; ${d.attempts} attempts` : ""}
            </dd>
            {d.rollbackOf && (
              <>
                <dt>Rollback of</dt>
                <dd>
                  <code>{d.rollbackOf}</code>
                </dd>
              </>
            )}
            {d.automation && (
              <>
                <dt>Automation</dt>
                <dd>
                  {d.automation.name} (<code>{d.automation.key}</code>)
                  {d.automation.schedule
                    ? `; from ${when(d.automation.schedule.startDate)}, ${d.automation.schedule.recurrence}, time zone ${d.automation.schedule.timeZoneId}`
                    : "; no schedule"}
                  {d.automation.scheduleNote && (
                    <p className="q-note">{d.automation.scheduleNote}</p>
                  )}
                </dd>
              </>
            )}
            <dt>SQL hash</dt>
            <dd>
              <code className="hash">{d.sqlHash.slice(0, 16)}…</code>
            </dd>
          </dl>
          <h4 className="q-section">SQL</h4>
          <pre className="detail-sql" data-field="deployment-sql">
            {d.sql}
          </pre>
          {d.findings.length > 0 && (
            <details className="q-details">
              <summary>Pre-flight findings recorded with it ({d.findings.length})</summary>
              <Findings findings={d.findings} host={host} label="Recorded findings" />
            </details>
          )}
        </>
      ) : (
        <p className="muted">Loading…</p>
      )}
      <Tracker
        id={id}
        mids={d?.mids ?? []}
        host={host}
        onLoaded={(loaded) => {
          setDeployment(loaded);
          if (lastStatus.current !== null && lastStatus.current !== loaded.status) onChanged();
          lastStatus.current = loaded.status;
        }}
      />
    </article>
  );
}
