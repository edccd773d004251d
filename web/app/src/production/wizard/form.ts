// The wizard's form: made from a proposal, edited by the person, turned into
// createTargetDataExtension's input. Numbers are kept as typed (strings) and parsed on the
// way out. `checkForm` applies only the rules the schema itself states on TargetFieldInput
// (a length for text-like types only, a Decimal's precision 1 to 38 and scale 0 to it, a key
// is required); every other rule is the server's, and comes back as user errors by path.
import type {
  CreateTargetDataExtensionInput,
  ProposeTargetQuery,
  SqlFieldType,
  TargetRetentionMode,
  TargetRetentionUnit,
  TargetSendableRelationship,
} from "../../gql/graphql";
import type { Problem } from "../common/errors";

export type Proposal = NonNullable<ProposeTargetQuery["proposeTargetDataExtension"]["proposal"]>;

export const FIELD_TYPES: readonly { value: SqlFieldType; label: string }[] = [
  { value: "TEXT", label: "Text" },
  { value: "NUMBER", label: "Number" },
  { value: "DECIMAL", label: "Decimal" },
  { value: "DATE", label: "Date" },
  { value: "BOOLEAN", label: "Boolean" },
  { value: "EMAIL_ADDRESS", label: "EmailAddress" },
  { value: "PHONE", label: "Phone" },
  { value: "LOCALE", label: "Locale" },
];

const TEXT_LIKE: ReadonlySet<SqlFieldType> = new Set(["TEXT", "EMAIL_ADDRESS", "PHONE", "LOCALE"]);

export function hasLength(type: SqlFieldType): boolean {
  return TEXT_LIKE.has(type);
}

export interface FieldRow {
  name: string;
  fieldType: SqlFieldType;
  /** Text-like types: the length; Decimal: the precision. */
  length: string;
  scale: string;
  nullable: boolean;
  isPrimaryKey: boolean;
  reason: string;
}

export interface RetentionSetting {
  length: number;
  unit: TargetRetentionUnit;
  mode: TargetRetentionMode;
  resetOnImport: boolean;
}

export interface WizardForm {
  name: string;
  customerKey: string;
  description: string;
  folderId: string | null;
  folderName: string;
  fields: FieldRow[];
  sendable: { enabled: boolean; field: string; relationship: TargetSendableRelationship };
  /** "none", an index into the proposal's options, or "custom". */
  retentionChoice: string;
  retention: {
    length: string;
    unit: TargetRetentionUnit;
    mode: TargetRetentionMode;
    resetOnImport: boolean;
  };
}

function text(value: number | null | undefined): string {
  return value === null || value === undefined ? "" : String(value);
}

export function fromProposal(proposal: Proposal): WizardForm {
  const suggested = proposal.retention.suggested;
  const options = proposal.retention.options;
  const suggestedIndex = suggested
    ? options.findIndex(
        (o) =>
          o.setting !== null &&
          o.setting.length === suggested.length &&
          o.setting.unit === suggested.unit &&
          o.setting.mode === suggested.mode,
      )
    : -1;
  return {
    name: proposal.name,
    customerKey: proposal.customerKey,
    description: "",
    folderId: proposal.folder?.id ?? null,
    folderName: proposal.folder?.name ?? "Data Extensions",
    fields: proposal.fields.map((f) => ({
      name: f.name,
      fieldType: f.fieldType,
      length: text(f.fieldType === "DECIMAL" ? f.precision : f.length),
      scale: text(f.scale),
      nullable: f.nullable && !f.isPrimaryKey,
      isPrimaryKey: f.isPrimaryKey,
      reason: f.reason,
    })),
    sendable: {
      enabled: proposal.sendable.enabled,
      field: proposal.sendable.field ?? "",
      relationship: proposal.sendable.relationship ?? "SUBSCRIBER_KEY",
    },
    retentionChoice: suggested ? (suggestedIndex >= 0 ? String(suggestedIndex) : "custom") : "none",
    retention: {
      length: text(suggested?.length ?? 30),
      unit: suggested?.unit ?? "DAYS",
      mode: suggested?.mode ?? "ROWS",
      resetOnImport: suggested?.resetOnImport ?? false,
    },
  };
}

/** A row after its type changed: a length only where the type has one, precision for Decimal. */
export function withType(row: FieldRow, fieldType: SqlFieldType): FieldRow {
  if (fieldType === row.fieldType) return row;
  let length = "";
  let scale = "";
  if (hasLength(fieldType)) length = hasLength(row.fieldType) ? row.length : "";
  if (fieldType === "DECIMAL") {
    length = "18";
    scale = "2";
  }
  return { ...row, fieldType, length, scale };
}

/** A row with its key flag set: a key field is never nullable. */
export function withKey(row: FieldRow, isPrimaryKey: boolean): FieldRow {
  return { ...row, isPrimaryKey, nullable: isPrimaryKey ? false : row.nullable };
}

function whole(value: string): number | null | "bad" {
  const trimmed = value.trim();
  if (trimmed === "") return null;
  return /^\d{1,9}$/.test(trimmed) ? Number(trimmed) : "bad";
}

/** The schema's own rules for the form (see the module doc), as problems by input path. */
export function checkForm(form: WizardForm): Problem[] {
  const problems: Problem[] = [];
  const add = (field: string, code: string, message: string) =>
    problems.push({ field, code, message, severity: "error" });
  if (!form.name.trim()) add("name", "NAME_REQUIRED", "Give the data extension a name.");
  form.fields.forEach((row, i) => {
    const at = `fields.${i}`;
    if (!row.name.trim()) add(`${at}.name`, "FIELD_NAME_REQUIRED", "Give the field a name.");
    const length = whole(row.length);
    const scale = whole(row.scale);
    if (row.fieldType === "DECIMAL") {
      if (length === "bad" || (typeof length === "number" && (length < 1 || length > 38))) {
        add(`${at}.precision`, "PRECISION_INVALID", "A Decimal's precision is 1 to 38.");
      }
      const precision = typeof length === "number" ? length : 18;
      if (scale === "bad" || (typeof scale === "number" && scale > precision)) {
        add(`${at}.scale`, "SCALE_INVALID", `The scale is 0 to the precision (${precision}).`);
      }
    } else if (hasLength(row.fieldType) && length === "bad") {
      add(`${at}.length`, "LENGTH_INVALID", "The length is a whole number.");
    }
  });
  if (form.sendable.enabled && !form.fields.some((f) => f.name === form.sendable.field)) {
    add("sendable.field", "SENDABLE_FIELD_UNKNOWN", "Pick the field that holds subscriber keys.");
  }
  if (form.retentionChoice === "custom" && whole(form.retention.length) === "bad") {
    add("retention.length", "RETENTION_LENGTH_INVALID", "The period is a whole number.");
  }
  return problems;
}

function retentionOf(
  form: WizardForm,
  options: Proposal["retention"]["options"],
): RetentionSetting | null {
  if (form.retentionChoice === "none") return null;
  if (form.retentionChoice === "custom") {
    const length = whole(form.retention.length);
    return {
      length: typeof length === "number" ? length : 0,
      unit: form.retention.unit,
      mode: form.retention.mode,
      resetOnImport: form.retention.resetOnImport,
    };
  }
  const option = options[Number(form.retentionChoice)];
  return option?.setting
    ? {
        length: option.setting.length,
        unit: option.setting.unit,
        mode: option.setting.mode,
        resetOnImport: option.setting.resetOnImport,
      }
    : null;
}

/** createTargetDataExtension's input (without the idempotency key) for the form. */
export function toInput(
  form: WizardForm,
  options: Proposal["retention"]["options"] = [],
): Omit<CreateTargetDataExtensionInput, "idempotencyKey"> {
  const number = (value: string) => {
    const parsed = whole(value);
    return typeof parsed === "number" ? parsed : null;
  };
  const description = form.description.trim();
  return {
    name: form.name,
    customerKey: form.customerKey.trim() === "" ? null : form.customerKey,
    description: description === "" ? null : description,
    folderId: form.folderId,
    fields: form.fields.map((row) => ({
      name: row.name,
      fieldType: row.fieldType,
      length: hasLength(row.fieldType) ? number(row.length) : null,
      precision: row.fieldType === "DECIMAL" ? number(row.length) : null,
      scale: row.fieldType === "DECIMAL" ? number(row.scale) : null,
      isRequired: row.isPrimaryKey || !row.nullable,
      isPrimaryKey: row.isPrimaryKey,
    })),
    sendable: form.sendable.enabled
      ? { field: form.sendable.field, relationship: form.sendable.relationship }
      : null,
    retention: retentionOf(form, options),
  };
}

/** Problems left after an edit of `path`: those naming it (or, for a field row, the row). */
export function afterEdit<T extends { field: string | null }>(
  problems: readonly T[],
  path: string,
): T[] {
  const row = /^fields\.\d+/.exec(path)?.[0];
  return problems.filter((p) => {
    if (p.field === null) return true;
    if (row) return p.field !== row && !p.field.startsWith(`${row}.`);
    return p.field !== path && !p.field.startsWith(`${path}.`);
  });
}
