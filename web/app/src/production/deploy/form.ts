// The deploy dialog's form and deployQueryActivity's input. Names and keys are suggested from
// the tab's title; a schedule's start is a local date and time sent with the browser's UTC
// offset; its recurrence is an iCal rule (FREQ and INTERVAL).
import type { DeployQueryActivityInput, UpdateType } from "../../gql/graphql";
import type { PickedTarget } from "../common/TargetPicker";

export const FREQUENCIES = [
  { value: "HOURLY", label: "hours" },
  { value: "DAILY", label: "days" },
  { value: "WEEKLY", label: "weeks" },
  { value: "MONTHLY", label: "months" },
] as const;

export type Frequency = (typeof FREQUENCIES)[number]["value"];

export interface DeployForm {
  name: string;
  key: string;
  description: string;
  /** Under the BU's "Query" folder, e.g. "Daily/Sales" ("" for the folder itself). */
  folderPath: string;
  target: PickedTarget | null;
  /** Create the target (and missing folders) in BUs that lack it. */
  createMissing: boolean;
  targetFolderPath: string;
  updateType: UpdateType;
  automation: {
    enabled: boolean;
    name: string;
    key: string;
    description: string;
    scheduled: boolean;
    /** A datetime-local value ("2025-03-01T06:00"). */
    start: string;
    frequency: Frequency;
    interval: string;
    timeZoneId: string;
    end: string;
  };
  mids: string[];
  acknowledgeWarnings: boolean;
}

/** A customer key from a name: letters, digits, "_" and "-", at most `most` characters. */
export function keyFrom(name: string, most = 36): string {
  const key = name
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/[^A-Za-z0-9_-]+/g, "_")
    .replace(/^_+|_+$/g, "");
  return key.slice(0, most).replace(/_+$/, "");
}

function tomorrowAtSix(now: Date): string {
  const d = new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1, 6, 0);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T06:00`;
}

export function initialForm(title: string, mid: string, now: Date = new Date()): DeployForm {
  const name = title.trim() || "Quarry query";
  const key = keyFrom(name) || "quarry_query";
  return {
    name,
    key,
    description: "",
    folderPath: "",
    target: null,
    createMissing: false,
    targetFolderPath: "",
    updateType: "OVERWRITE",
    automation: {
      enabled: false,
      name: `${name} automation`.slice(0, 128),
      key: keyFrom(`${key}_auto`),
      description: "",
      scheduled: false,
      start: tomorrowAtSix(now),
      frequency: "DAILY",
      interval: "1",
      timeZoneId: "5",
      end: "",
    },
    mids: [mid],
    acknowledgeWarnings: false,
  };
}

/** "+02:00" for an offset east of UTC in minutes (what Date#getTimezoneOffset negates). */
export function offsetText(minutesEast: number): string {
  const sign = minutesEast < 0 ? "-" : "+";
  const abs = Math.abs(minutesEast);
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
}

/** A datetime-local value with its UTC offset (the browser's offset at that moment). */
export function withOffset(local: string, minutesEast?: number): string {
  const match = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(?::(\d{2}))?$/.exec(local.trim());
  if (!match) return local;
  const east = minutesEast ?? -new Date(local).getTimezoneOffset();
  return `${match[1]}T${match[2]}:${match[3] ?? "00"}${offsetText(east)}`;
}

export function recurrence(frequency: Frequency, interval: string): string {
  const n = /^\d+$/.test(interval.trim()) ? Number(interval.trim()) : 1;
  return `FREQ=${frequency};INTERVAL=${Math.max(1, n)}`;
}

/** Folder paths are "/"-separated names; blanks between slashes are dropped. */
export function cleanPath(path: string): string {
  return path
    .split("/")
    .map((p) => p.trim())
    .filter((p) => p !== "")
    .join("/");
}

/** deployQueryActivity's input (without the idempotency key) for the form and SQL. */
export function toDeployInput(
  form: DeployForm,
  sql: string,
  offsets?: { start?: number; end?: number },
): Omit<DeployQueryActivityInput, "idempotencyKey"> {
  const a = form.automation;
  const target = form.target;
  return {
    name: form.name,
    key: form.key,
    description: form.description,
    sql,
    folderPath: cleanPath(form.folderPath),
    target: {
      key: target?.customerKey ?? "",
      shared: target?.shared ?? false,
      create: form.createMissing,
      name: form.createMissing ? (target?.name ?? null) : null,
      folderPath: form.createMissing ? cleanPath(form.targetFolderPath) : null,
    },
    updateType: form.updateType,
    mids: form.mids,
    createMissing: form.createMissing,
    automation: a.enabled
      ? {
          name: a.name,
          key: a.key,
          description: a.description,
          schedule: a.scheduled
            ? {
                startDate: withOffset(a.start, offsets?.start),
                recurrence: recurrence(a.frequency, a.interval),
                timeZoneId: /^\d+$/.test(a.timeZoneId.trim()) ? Number(a.timeZoneId.trim()) : 0,
                endDate: a.end.trim() ? withOffset(a.end, offsets?.end) : null,
              }
            : null,
        }
      : null,
    acknowledgeWarnings: form.acknowledgeWarnings,
    force: false,
  };
}

/** The form after its name or key changed: what follows them (the key from the name, the
 * automation's name and key) follows unless the person changed it themselves (`touched`). */
export function withIdentity(
  form: DeployForm,
  change: { name?: string; key?: string },
  touched: ReadonlySet<string>,
): DeployForm {
  const name = change.name ?? form.name;
  const key =
    change.key ?? (touched.has("key") || change.name === undefined ? form.key : keyFrom(name));
  const automation = { ...form.automation };
  if (!touched.has("automation.name")) automation.name = `${name} automation`.slice(0, 128);
  if (!touched.has("automation.key")) automation.key = keyFrom(`${key}_auto`);
  return { ...form, name, key, automation };
}
