// Deploy the current tab's SQL as a query activity: name, key, description, query folder,
// target (an existing data extension with each BU's mapping check, or a new one from the
// wizard), update type, optionally a new automation with a schedule, one BU or several. The
// server checks every BU first: errors refuse it, warnings need an explicit acknowledgement.
// Then the deployment is followed BU by BU, and what failed can be retried.
import { useMemo, useRef, useState } from "react";
import { request } from "../../api/http";
import { describeProblem } from "../../api/problems";
import type { DeployMutation as DeployData } from "../../gql/graphql";
import { Field, TextField } from "../../ui/Field";
import { Dialog, useHostSql } from "../common/Dialog";
import { byPath, type Problem, problemsOf, unplaced } from "../common/errors";
import { FolderPicker } from "../common/FolderPicker";
import { idempotencyKey, newNonce } from "../common/keys";
import { Messages, ProblemList } from "../common/Messages";
import { type PickedTarget, TargetPicker } from "../common/TargetPicker";
import { UpdateTypeChoice } from "../common/UpdateTypes";
import { businessUnitLabel, type ProductionHost } from "../host";
import { Findings } from "../preflight/Findings";
import type { FindingLike } from "../preflight/grouping";
import { TargetDeWizard } from "../wizard/TargetDeWizard";
import { BuMapping, useBuChecks } from "./BuMapping";
import {
  type DeployForm,
  FREQUENCIES,
  type Frequency,
  initialForm,
  toDeployInput,
  withIdentity,
} from "./form";
import { DeployMutation } from "./operations";
import { Tracker } from "./Tracker";

const SCOPE = "deploy";
const PLACED = new Set([
  "name",
  "key",
  "description",
  "folderPath",
  "target",
  "target.key",
  "target.name",
  "target.folderPath",
  "mids",
  "automation.name",
  "automation.key",
  "automation.description",
  "automation.schedule",
]);

type Answer = DeployData["deployQueryActivity"];

export function DeployDialog({ host, onClose }: { host: ProductionHost; onClose: () => void }) {
  const sql = useHostSql(host.sql);
  const nonce = useRef(newNonce()).current;
  const [form, setForm] = useState<DeployForm>(() =>
    initialForm(host.tabTitle(), host.viewer.businessUnit.mid),
  );
  const [server, setServer] = useState<Problem[]>([]);
  const [answerFindings, setAnswerFindings] = useState<Answer["findings"] | null>(null);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const [deployment, setDeployment] = useState<{ id: string; mids: string[] } | null>(null);
  const [pickFolder, setPickFolder] = useState(false);
  const [wizard, setWizard] = useState(false);

  const { checks, checking } = useBuChecks(
    sql,
    form.target?.customerKey ?? null,
    form.updateType,
    form.mids,
  );
  const preview: FindingLike[] = useMemo(
    () => checks.flatMap((c) => (c.report?.findings ?? []).map((f) => ({ ...f, mid: c.mid }))),
    [checks],
  );
  const findings: readonly FindingLike[] = answerFindings ?? preview;
  const warnings = findings.some((f) => f.severity === "WARNING");
  const problems = useMemo(() => byPath(server), [server]);

  const set = (change: Partial<DeployForm>, path: string) => {
    setForm((f) => ({ ...f, ...change }));
    setServer((s) => s.filter((p) => p.field !== path && !(p.field ?? "").startsWith(`${path}.`)));
    if (path !== "acknowledgeWarnings") setAnswerFindings(null);
  };
  const touched = useRef(new Set<string>());
  const identify = (change: { name?: string; key?: string }, path: "name" | "key") => {
    if (path === "key") touched.current.add("key");
    const next = withIdentity(form, change, touched.current);
    set({ name: next.name, key: next.key, automation: next.automation }, path);
  };
  const setAutomation = (change: Partial<DeployForm["automation"]>, path: string) =>
    set({ automation: { ...form.automation, ...change } }, path);
  const setTarget = (target: PickedTarget) => set({ target }, "target.key");

  const deploy = async () => {
    setBusy(true);
    setProblem(null);
    const input = toDeployInput(form, sql);
    try {
      const data = await request(DeployMutation, {
        input: { ...input, idempotencyKey: idempotencyKey(nonce, input) },
      });
      const answer = data.deployQueryActivity;
      if (answer.deployment) {
        setDeployment({ id: answer.deployment.id, mids: answer.deployment.mids });
        return;
      }
      setServer(problemsOf(answer.userErrors, "error"));
      setAnswerFindings(answer.findings);
    } catch (error) {
      setProblem(describeProblem(error));
    } finally {
      setBusy(false);
    }
  };

  const footer = deployment ? (
    <button type="button" onClick={onClose}>
      Close
    </button>
  ) : (
    <>
      <span className="muted q-foot-note" role="status">
        {!form.target
          ? "Pick or create the target first."
          : warnings && !form.acknowledgeWarnings
            ? "Acknowledge the warnings to deploy."
            : ""}
      </span>
      <button type="button" onClick={onClose}>
        Cancel
      </button>
      <button
        type="button"
        className="primary"
        disabled={
          busy || !form.target || form.mids.length === 0 || (warnings && !form.acknowledgeWarnings)
        }
        onClick={() => void deploy()}
        data-action="deploy"
      >
        {busy
          ? "Checking…"
          : form.mids.length > 1
            ? `Deploy to ${form.mids.length} business units`
            : "Deploy"}
      </button>
    </>
  );

  const a = form.automation;
  return (
    <Dialog
      title="Deploy as a query activity"
      name="deploy"
      size="wide"
      onClose={onClose}
      subtitle={`“${host.tabTitle()}” saved in Marketing Cloud as a query activity${form.mids.length > 1 ? ` in ${form.mids.length} business units` : ""}.`}
      footer={footer}
    >
      {deployment ? (
        <Tracker id={deployment.id} mids={deployment.mids} host={host} />
      ) : (
        <div className="deploy-form">
          {problem && (
            <p className="error" role="alert">
              {problem}
            </p>
          )}
          <ProblemList
            problems={unplaced(server, (p) => PLACED.has(p))}
            label="The deployment was refused"
          />
          <div className="q-grid2">
            <TextField
              id="deploy-name"
              label="Activity name"
              required
              autoFocus
              path="name"
              messages={problems.get("name")}
              value={form.name}
              onChange={(name) => identify({ name }, "name")}
            />
            <TextField
              id="deploy-key"
              label="Customer key"
              required
              hint="At most 36 characters; deploying again with this key updates the same activity."
              path="key"
              messages={problems.get("key")}
              value={form.key}
              maxLength={36}
              onChange={(key) => identify({ key }, "key")}
            />
            <TextField
              id="deploy-description"
              label="Description"
              className="q-span2"
              path="description"
              messages={problems.get("description")}
              value={form.description}
              placeholder="optional"
              onChange={(description) => set({ description }, "description")}
            />
            <Field
              id="deploy-folder"
              label="Query folder (a path under “Query”, the same in every business unit)"
              className="q-span2"
              path="folderPath"
              messages={problems.get("folderPath")}
              control={(props) => (
                <span className="q-with-why">
                  <input
                    {...props}
                    type="text"
                    value={form.folderPath}
                    placeholder="the “Query” folder itself"
                    onChange={(e) => set({ folderPath: e.target.value }, "folderPath")}
                  />
                  <button
                    type="button"
                    aria-expanded={pickFolder}
                    aria-controls="deploy-folders"
                    onClick={() => setPickFolder((v) => !v)}
                  >
                    {pickFolder ? "Done" : "Browse…"}
                  </button>
                </span>
              )}
            >
              {pickFolder && (
                <div id="deploy-folders" className="picker-box">
                  <FolderPicker
                    kind="QUERY_ACTIVITY"
                    label="Query folders"
                    selectedId={null}
                    onPick={(folder) => set({ folderPath: folder.path.join("/") }, "folderPath")}
                  />
                </div>
              )}
            </Field>
          </div>

          <h3 className="q-section">Target</h3>
          <div className="q-grid2">
            <div className="q-field">
              <TargetPicker
                label="Existing data extension"
                value={form.target}
                onPick={setTarget}
                describedBy={problems.has("target.key") ? `${SCOPE}-msg-target_key` : undefined}
              />
              <Messages problems={problems} path="target.key" scope={SCOPE} />
              <Messages problems={problems} path="target" scope={SCOPE} />
              <p>
                or{" "}
                <button type="button" onClick={() => setWizard(true)} data-action="open-wizard">
                  Create a new one with the wizard…
                </button>
              </p>
            </div>
            <UpdateTypeChoice
              name="deploy-update-type"
              value={form.updateType}
              onChange={(updateType) => set({ updateType }, "updateType")}
            />
          </div>

          <h3 className="q-section">Business units</h3>
          <fieldset className="q-fieldset bu-choice">
            <legend className="visually-hidden">Deploy to</legend>
            {host.viewer.availableBusinessUnits.map((bu) => (
              <label key={bu.mid} className="q-check">
                <input
                  type="checkbox"
                  checked={form.mids.includes(bu.mid)}
                  data-mid={bu.mid}
                  onChange={(e) =>
                    set(
                      {
                        mids: e.target.checked
                          ? [...form.mids, bu.mid]
                          : form.mids.filter((m) => m !== bu.mid),
                      },
                      "mids",
                    )
                  }
                />
                {businessUnitLabel(host.viewer, bu.mid)}
                {bu.mid === host.viewer.businessUnit.mid ? " (this one)" : ""}
              </label>
            ))}
            <Messages problems={problems} path="mids" scope={SCOPE} />
          </fieldset>
          <BuMapping
            checks={checks}
            checking={checking}
            host={host}
            createMissing={form.createMissing}
          />
          <label className="q-check">
            <input
              type="checkbox"
              checked={form.createMissing}
              onChange={(e) => set({ createMissing: e.target.checked }, "target")}
              data-field="create-missing"
            />
            Create the target (with a field per output column) and the folders where a business unit
            lacks them
          </label>
          {form.createMissing && (
            <TextField
              id="deploy-target-folder"
              label="Folder for a created target (a path under “Data Extensions”)"
              path="target.folderPath"
              messages={[
                ...(problems.get("target.folderPath") ?? []),
                ...(problems.get("target.name") ?? []),
              ]}
              value={form.targetFolderPath}
              onChange={(targetFolderPath) => set({ targetFolderPath }, "target.folderPath")}
            />
          )}

          <h3 className="q-section">Automation</h3>
          <label className="q-check">
            <input
              type="checkbox"
              checked={a.enabled}
              onChange={(e) => setAutomation({ enabled: e.target.checked }, "automation")}
              data-field="automation"
            />
            Put the activity in a new automation
          </label>
          {a.enabled && (
            <div className="q-grid2 automation">
              <TextField
                id="deploy-automation-name"
                label="Automation name"
                required
                path="automation.name"
                messages={problems.get("automation.name")}
                value={a.name}
                onChange={(name) => {
                  touched.current.add("automation.name");
                  setAutomation({ name }, "automation.name");
                }}
              />
              <TextField
                id="deploy-automation-key"
                label="Automation key"
                required
                path="automation.key"
                messages={problems.get("automation.key")}
                value={a.key}
                onChange={(key) => {
                  touched.current.add("automation.key");
                  setAutomation({ key }, "automation.key");
                }}
              />
              <label className="q-check q-span2">
                <input
                  type="checkbox"
                  checked={a.scheduled}
                  onChange={(e) =>
                    setAutomation({ scheduled: e.target.checked }, "automation.schedule")
                  }
                  data-field="scheduled"
                />
                Run it on a schedule
              </label>
              {a.scheduled && (
                <>
                  <TextField
                    id="deploy-start"
                    label={`Starts (your time, ${Intl.DateTimeFormat().resolvedOptions().timeZone})`}
                    required
                    path="automation.schedule"
                    messages={problems.get("automation.schedule")}
                    type="datetime-local"
                    value={a.start}
                    onChange={(start) => setAutomation({ start }, "automation.schedule")}
                  />
                  <div className="q-field">
                    <span className="q-label" id="deploy-every">
                      Repeats every
                    </span>
                    <span className="q-inline">
                      <input
                        type="text"
                        inputMode="numeric"
                        className="num-input"
                        aria-labelledby="deploy-every"
                        value={a.interval}
                        onChange={(e) =>
                          setAutomation({ interval: e.target.value }, "automation.schedule")
                        }
                      />
                      <select
                        aria-label="Unit"
                        value={a.frequency}
                        onChange={(e) =>
                          setAutomation(
                            { frequency: e.target.value as Frequency },
                            "automation.schedule",
                          )
                        }
                      >
                        {FREQUENCIES.map((f) => (
                          <option key={f.value} value={f.value}>
                            {f.label}
                          </option>
                        ))}
                      </select>
                    </span>
                  </div>
                  <TextField
                    id="deploy-tz"
                    label="Marketing Cloud time zone number"
                    hint="5 is Central Time, Marketing Cloud's own."
                    inputMode="numeric"
                    inputClassName="num-input"
                    value={a.timeZoneId}
                    onChange={(timeZoneId) => setAutomation({ timeZoneId }, "automation.schedule")}
                  />
                  <TextField
                    id="deploy-end"
                    label="Ends (optional)"
                    type="datetime-local"
                    value={a.end}
                    onChange={(end) => setAutomation({ end }, "automation.schedule")}
                  />
                  <p className="q-note q-span2" data-field="schedule-note">
                    Marketing Cloud keeps a schedule created through its API paused: the automation
                    does not run on it until someone activates it in Automation Studio. Quarry says
                    so again for each business unit once deployed.
                  </p>
                </>
              )}
            </div>
          )}

          <h3 className="q-section">
            Pre-flight{" "}
            {answerFindings ? (
              ""
            ) : (
              <span className="muted">(as each business unit's metadata has it)</span>
            )}
          </h3>
          {checking && <p className="muted">Checking…</p>}
          <Findings
            findings={findings}
            host={host}
            label="Deployment findings"
            empty={form.target ? "Nothing found." : "Pick the target to check."}
          />
          {warnings && (
            <label className="q-check q-ack">
              <input
                type="checkbox"
                checked={form.acknowledgeWarnings}
                onChange={(e) =>
                  set({ acknowledgeWarnings: e.target.checked }, "acknowledgeWarnings")
                }
                data-field="acknowledge"
              />
              I have read the warnings: deploy anyway
            </label>
          )}
        </div>
      )}
      {wizard && (
        <TargetDeWizard
          host={host}
          onClose={() => setWizard(false)}
          onCreated={(de) =>
            setTarget({
              id: de.id ?? de.customerKey,
              name: de.name,
              customerKey: de.customerKey,
              shared: de.shared,
            })
          }
        />
      )}
    </Dialog>
  );
}
