// The target DE wizard: a data extension that fits the current tab's query, proposed by the
// API (each choice with its reason), edited here, created once (an idempotency key per
// opening of the dialog and request). Problems are shown next to the controls they name: the
// schema's own rules as you edit, the server's user errors after a create.
import { useEffect, useMemo, useRef, useState } from "react";
import { request } from "../../api/http";
import { describeProblem } from "../../api/problems";
import type {
  CreateTargetMutation as CreateTargetData,
  ProposeTargetQuery,
  TargetRetentionMode,
  TargetRetentionUnit,
  TargetSendableRelationship,
} from "../../gql/graphql";
import { Field, TextField } from "../../ui/Field";
import { Dialog, useHostSql } from "../common/Dialog";
import { byPath, type Problem, problemsOf, unplaced } from "../common/errors";
import { FolderPicker } from "../common/FolderPicker";
import { idempotencyKey, newNonce } from "../common/keys";
import { describedBy, Messages, ProblemList } from "../common/Messages";
import { Why } from "../common/Why";
import type { ProductionHost } from "../host";
import { Findings } from "../preflight/Findings";
import { FieldsTable } from "./FieldsTable";
import {
  afterEdit,
  checkForm,
  type FieldRow,
  fromProposal,
  type Proposal,
  toInput,
  type WizardForm,
} from "./form";
import { CreateTargetMutation, ProposeTargetQuery as ProposeDocument } from "./operations";

const SCOPE = "wizard";

export type CreatedTarget = NonNullable<
  CreateTargetData["createTargetDataExtension"]["dataExtension"]
>;
type SqlFindings = ProposeTargetQuery["proposeTargetDataExtension"]["findings"];

const UNITS: readonly TargetRetentionUnit[] = ["DAYS", "WEEKS", "MONTHS", "YEARS"];
const MODES: readonly { value: TargetRetentionMode; label: string }[] = [
  { value: "ROWS", label: "each row, once older than the period" },
  { value: "ALL_ROWS", label: "all rows, at the period's end" },
  { value: "DATA_EXTENSION", label: "the data extension itself, at the period's end" },
];

function retentionText(setting: { length: number; unit: string; mode: string } | null): string {
  if (!setting) return "No retention";
  const unit = setting.unit.toLowerCase();
  const what =
    setting.mode === "ROWS"
      ? "each row"
      : setting.mode === "ALL_ROWS"
        ? "all rows"
        : "the data extension";
  return `Delete ${what} after ${setting.length} ${setting.length === 1 ? unit.replace(/s$/, "") : unit}`;
}

function pathKnown(path: string, fields: number): boolean {
  if (
    [
      "name",
      "customerKey",
      "description",
      "folderId",
      "sendable.field",
      "sendable.relationship",
      "sendable",
      "retention.length",
      "retention.resetOnImport",
      "retention",
    ].includes(path)
  )
    return true;
  const row = /^fields\.(\d+)/.exec(path);
  return !!row && Number(row[1]) < fields;
}

export function TargetDeWizard({
  host,
  onClose,
  onCreated,
}: {
  host: ProductionHost;
  onClose: () => void;
  /** Told once the data extension exists (e.g. the deploy dialog takes it as its target). */
  onCreated?: (created: CreatedTarget) => void;
}) {
  const sql = useHostSql(host.sql);
  const nonce = useRef(newNonce()).current;
  const [proposal, setProposal] = useState<Proposal | null>(null);
  const [findings, setFindings] = useState<SqlFindings>([]);
  const [refusal, setRefusal] = useState<Problem[]>([]);
  const [loadProblem, setLoadProblem] = useState<string | null>(null);
  const [form, setForm] = useState<WizardForm | null>(null);
  const [server, setServer] = useState<Problem[]>([]);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const [created, setCreated] = useState<CreateTargetData["createTargetDataExtension"] | null>(
    null,
  );
  const [pickFolder, setPickFolder] = useState(false);
  const keyTouched = useRef(false);

  useEffect(() => {
    let current = true;
    if (!sql.trim()) {
      setLoadProblem("This tab has no SQL yet: write the query first.");
      return;
    }
    request(ProposeDocument, { sql, name: null })
      .then((data) => {
        if (!current) return;
        const answer = data.proposeTargetDataExtension;
        setFindings(answer.findings);
        setRefusal(problemsOf(answer.userErrors, "error"));
        if (answer.proposal) {
          setProposal(answer.proposal);
          setForm(fromProposal(answer.proposal));
          setServer(problemsOf(answer.proposal.warnings, "warning"));
        }
      })
      .catch((error) => current && setLoadProblem(describeProblem(error)));
    return () => {
      current = false;
    };
  }, [sql]);

  const local = useMemo(() => (form ? checkForm(form) : []), [form]);
  const all = useMemo(() => [...local, ...server], [local, server]);
  const problems = useMemo(() => byPath(all), [all]);
  const errors = all.filter((p) => p.severity === "error").length;

  const edit = (change: Partial<WizardForm>, path: string) => {
    setForm((f) => (f ? { ...f, ...change } : f));
    setServer((s) => afterEdit(s, path));
  };
  const editRow = (index: number, row: FieldRow, path: string) => {
    setForm((f) => {
      if (!f) return f;
      const fields = f.fields.slice();
      const old = fields[index]!;
      fields[index] = row;
      const sendable =
        f.sendable.field === old.name && old.name !== row.name
          ? { ...f.sendable, field: row.name }
          : f.sendable;
      return { ...f, fields, sendable };
    });
    setServer((s) => afterEdit(s, path));
  };

  const create = async () => {
    if (!form || !proposal) return;
    if (local.length > 0) {
      document
        .querySelector<HTMLElement>('[data-dialog="target-wizard"] [aria-invalid="true"]')
        ?.focus();
      return;
    }
    setBusy(true);
    setProblem(null);
    const input = toInput(form, proposal.retention.options);
    try {
      const data = await request(CreateTargetMutation, {
        input: { ...input, idempotencyKey: idempotencyKey(nonce, input) },
      });
      const answer = data.createTargetDataExtension;
      if (answer.dataExtension) {
        setCreated(answer);
        setServer([]);
        onCreated?.(answer.dataExtension);
      } else {
        setServer(problemsOf(answer.userErrors, "error"));
      }
    } catch (error) {
      setProblem(describeProblem(error));
    } finally {
      setBusy(false);
    }
  };

  const footer = created ? (
    <button type="button" className="primary" onClick={onClose} data-autofocus>
      Done
    </button>
  ) : (
    <>
      <span className="muted q-foot-note" role="status" data-field="wizard-status">
        {form
          ? errors > 0
            ? `${errors} ${errors === 1 ? "problem" : "problems"} to fix before creating`
            : "Ready to create"
          : ""}
      </span>
      <button type="button" onClick={onClose}>
        Cancel
      </button>
      <button
        type="button"
        className="primary"
        disabled={!form || busy}
        onClick={() => void create()}
        data-action="create-target"
      >
        {busy ? "Creating…" : "Create data extension"}
      </button>
    </>
  );

  return (
    <Dialog
      title="New target data extension"
      name="target-wizard"
      size="wide"
      onClose={onClose}
      subtitle={`A data extension that fits the output of “${host.tabTitle()}”, for a query activity to write into.`}
      footer={footer}
    >
      {loadProblem && (
        <p className="error" role="alert">
          {loadProblem}
        </p>
      )}
      {!form && !loadProblem && refusal.length === 0 && <p className="muted">Reading the query…</p>}
      {refusal.length > 0 && (
        <>
          <ProblemList problems={refusal} label="Why there is no proposal" />
          <Findings findings={findings} host={host} label="What the SQL check found" />
        </>
      )}
      {created?.dataExtension && (
        <div className="q-success" role="status" data-field="created-target">
          <p>
            Created <strong>{created.dataExtension.name}</strong> (key{" "}
            <code>{created.dataExtension.customerKey}</code>) with{" "}
            {created.dataExtension.fields.length} fields
            {created.replayed ? " (this request had already created it)" : ""}
            {created.recovered ? " (found in Marketing Cloud after its answer was lost)" : ""}.
          </p>
          <ProblemList problems={problemsOf(created.warnings, "warning")} label="Warnings" />
        </div>
      )}
      {form && proposal && !created && (
        <div className="wizard-form">
          {findings.length > 0 && (
            <Findings findings={findings} host={host} label="What the SQL check found" />
          )}
          <ProblemList
            problems={unplaced(all, (p) => pathKnown(p, form.fields.length))}
            label="Problems"
          />
          {problem && (
            <p className="error" role="alert">
              {problem}
            </p>
          )}
          <div className="q-grid2">
            <Field
              id="wizard-name"
              label="Name"
              required
              path="name"
              messages={problems.get("name")}
              control={(props) => (
                <span className="q-with-why">
                  <input
                    {...props}
                    type="text"
                    value={form.name}
                    data-autofocus
                    onChange={(e) =>
                      edit(
                        keyTouched.current
                          ? { name: e.target.value }
                          : { name: e.target.value, customerKey: "" },
                        "name",
                      )
                    }
                  />
                  <Why reason={proposal.nameReason} label="the name" />
                </span>
              )}
            />
            <Field
              id="wizard-key"
              label="Customer key"
              path="customerKey"
              messages={problems.get("customerKey")}
              control={(props) => (
                <span className="q-with-why">
                  <input
                    {...props}
                    type="text"
                    value={form.customerKey}
                    placeholder="derived from the name, unique in this BU"
                    onChange={(e) => {
                      keyTouched.current = true;
                      edit({ customerKey: e.target.value }, "customerKey");
                    }}
                  />
                  <Why reason={proposal.customerKeyReason} label="the customer key" />
                </span>
              )}
            />
            <div className="q-field">
              <span className="q-label" id="wizard-folder-label">
                Folder
              </span>
              <span className="q-with-why">
                <span className="q-value" data-field="wizard-folder">
                  {form.folderName}
                </span>
                <button
                  type="button"
                  aria-expanded={pickFolder}
                  aria-controls="wizard-folders"
                  onClick={() => setPickFolder((v) => !v)}
                >
                  {pickFolder ? "Done" : "Change…"}
                </button>
                <Why reason={proposal.folderReason} label="the folder" />
              </span>
              <Messages problems={problems} path="folderId" scope={SCOPE} />
              {pickFolder && (
                <div id="wizard-folders" className="picker-box">
                  <FolderPicker
                    kind="DATA_EXTENSION"
                    label="Data extension folders"
                    selectedId={form.folderId}
                    onPick={(folder) =>
                      edit({ folderId: folder.id, folderName: folder.name }, "folderId")
                    }
                  />
                </div>
              )}
            </div>
            <TextField
              id="wizard-description"
              label="Description"
              path="description"
              messages={problems.get("description")}
              value={form.description}
              placeholder="optional"
              onChange={(description) => edit({ description }, "description")}
            />
          </div>

          <h3 className="q-section">
            Fields <Why reason={proposal.primaryKey.reason} label="the primary key" />
          </h3>
          <p className="muted q-hint">
            Primary key:{" "}
            {proposal.primaryKey.fields.length
              ? proposal.primaryKey.fields.join(", ")
              : "none proposed"}
            . Hover or focus “?” for why each field is as it is.
          </p>
          <FieldsTable rows={form.fields} problems={problems} onChange={editRow} />

          <div className="q-grid2">
            <fieldset className="q-fieldset">
              <legend>
                Sendable <Why reason={proposal.sendable.reason} label="sendable" />
              </legend>
              <label className="q-check">
                <input
                  type="checkbox"
                  checked={form.sendable.enabled}
                  onChange={(e) =>
                    edit({ sendable: { ...form.sendable, enabled: e.target.checked } }, "sendable")
                  }
                />
                Emails can be sent to its rows
              </label>
              {form.sendable.enabled && (
                <div className="q-inline">
                  <label>
                    Field{" "}
                    <select
                      value={form.sendable.field}
                      onChange={(e) =>
                        edit(
                          { sendable: { ...form.sendable, field: e.target.value } },
                          "sendable.field",
                        )
                      }
                      {...describedBy(problems, "sendable.field", SCOPE)}
                    >
                      <option value="">choose…</option>
                      {form.fields.map((f, i) => (
                        <option key={i} value={f.name}>
                          {f.name}
                        </option>
                      ))}
                    </select>
                  </label>
                  <label>
                    relates to{" "}
                    <select
                      value={form.sendable.relationship}
                      onChange={(e) =>
                        edit(
                          {
                            sendable: {
                              ...form.sendable,
                              relationship: e.target.value as TargetSendableRelationship,
                            },
                          },
                          "sendable.relationship",
                        )
                      }
                    >
                      <option value="SUBSCRIBER_KEY">Subscriber Key</option>
                      <option value="EMAIL_ADDRESS">Email Address</option>
                    </select>
                  </label>
                </div>
              )}
              <Messages problems={problems} path="sendable" scope={SCOPE} />
              <Messages problems={problems} path="sendable.field" scope={SCOPE} />
              <Messages problems={problems} path="sendable.relationship" scope={SCOPE} />
            </fieldset>
            <fieldset className="q-fieldset">
              <legend>
                Retention <Why reason={proposal.retention.reason} label="retention" />
              </legend>
              <div role="radiogroup" aria-label="Retention">
                <label className="q-check">
                  <input
                    type="radio"
                    name="retention"
                    checked={form.retentionChoice === "none"}
                    onChange={() => edit({ retentionChoice: "none" }, "retention")}
                  />
                  No retention
                </label>
                {proposal.retention.options.map((option, i) =>
                  option.setting ? (
                    <label className="q-check" key={i} title={option.reason}>
                      <input
                        type="radio"
                        name="retention"
                        checked={form.retentionChoice === String(i)}
                        onChange={() => edit({ retentionChoice: String(i) }, "retention")}
                      />
                      {retentionText(option.setting)}
                      <Why reason={option.reason} label={retentionText(option.setting)} />
                    </label>
                  ) : null,
                )}
                <label className="q-check">
                  <input
                    type="radio"
                    name="retention"
                    checked={form.retentionChoice === "custom"}
                    onChange={() => edit({ retentionChoice: "custom" }, "retention")}
                  />
                  Another period
                </label>
              </div>
              {form.retentionChoice === "custom" && (
                <div className="q-inline">
                  <label>
                    Delete{" "}
                    <select
                      aria-label="What is deleted"
                      value={form.retention.mode}
                      onChange={(e) =>
                        edit(
                          {
                            retention: {
                              ...form.retention,
                              mode: e.target.value as TargetRetentionMode,
                            },
                          },
                          "retention",
                        )
                      }
                    >
                      {MODES.map((m) => (
                        <option key={m.value} value={m.value}>
                          {m.label}
                        </option>
                      ))}
                    </select>
                  </label>
                  <label>
                    after{" "}
                    <input
                      type="text"
                      inputMode="numeric"
                      className="num-input"
                      aria-label="Retention period"
                      value={form.retention.length}
                      onChange={(e) =>
                        edit(
                          { retention: { ...form.retention, length: e.target.value } },
                          "retention.length",
                        )
                      }
                      {...describedBy(problems, "retention.length", SCOPE)}
                    />
                  </label>
                  <select
                    aria-label="Retention unit"
                    value={form.retention.unit}
                    onChange={(e) =>
                      edit(
                        {
                          retention: {
                            ...form.retention,
                            unit: e.target.value as TargetRetentionUnit,
                          },
                        },
                        "retention",
                      )
                    }
                  >
                    {UNITS.map((u) => (
                      <option key={u} value={u}>
                        {u.toLowerCase()}
                      </option>
                    ))}
                  </select>
                  <label className="q-check">
                    <input
                      type="checkbox"
                      checked={form.retention.resetOnImport}
                      onChange={(e) =>
                        edit(
                          { retention: { ...form.retention, resetOnImport: e.target.checked } },
                          "retention.resetOnImport",
                        )
                      }
                    />
                    restart the period on each import
                  </label>
                </div>
              )}
              <Messages problems={problems} path="retention" scope={SCOPE} />
              <Messages problems={problems} path="retention.length" scope={SCOPE} />
              <Messages problems={problems} path="retention.resetOnImport" scope={SCOPE} />
            </fieldset>
          </div>
        </div>
      )}
    </Dialog>
  );
}
