// Findings grouped by severity (errors, then warnings, then notes; each in the order the API
// gave them), and a deployment's per-BU findings folded together when several BUs found the
// same thing at the same place.
import type { SqlSeverity } from "../../gql/graphql";

export interface RangeLike {
  start: number;
  end: number;
  line: number;
  column: number;
}

export interface FindingLike {
  code: string;
  severity: SqlSeverity;
  message: string;
  column?: string | null;
  suggestion?: string | null;
  mceMessage?: string | null;
  range?: RangeLike | null;
  mid?: string;
}

export interface SeverityGroup<F> {
  severity: SqlSeverity;
  label: string;
  items: F[];
}

const ORDER: readonly { severity: SqlSeverity; one: string; many: string }[] = [
  { severity: "ERROR", one: "1 error", many: "errors" },
  { severity: "WARNING", one: "1 warning", many: "warnings" },
  { severity: "INFO", one: "1 note", many: "notes" },
];

/** The non-empty severity groups, most severe first. */
export function groupBySeverity<F extends FindingLike>(findings: readonly F[]): SeverityGroup<F>[] {
  const groups: SeverityGroup<F>[] = [];
  for (const { severity, one, many } of ORDER) {
    const items = findings.filter((f) => f.severity === severity);
    if (items.length > 0) {
      groups.push({ severity, label: items.length === 1 ? one : `${items.length} ${many}`, items });
    }
  }
  return groups;
}

export interface MergedFinding extends FindingLike {
  /** The BUs that found it (empty for a check of one BU). */
  mids: string[];
}

/** One finding per (code, severity, message, column, place), with every BU that found it. */
export function mergeAcrossBusinessUnits(findings: readonly FindingLike[]): MergedFinding[] {
  const merged = new Map<string, MergedFinding>();
  for (const f of findings) {
    const key = [
      f.code,
      f.severity,
      f.message,
      f.column ?? "",
      f.range?.start ?? "",
      f.range?.end ?? "",
    ].join("\u0000");
    const found = merged.get(key);
    if (found) {
      if (f.mid && !found.mids.includes(f.mid)) found.mids.push(f.mid);
    } else {
      merged.set(key, { ...f, mids: f.mid ? [f.mid] : [] });
    }
  }
  return [...merged.values()];
}

/** "line 3, column 8" for a range, or null for a finding about the whole query. */
export function placeOf(range: RangeLike | null | undefined): string | null {
  return range ? `line ${range.line}, column ${range.column}` : null;
}

/** A sentence for a report's verdict. */
export function verdict(findings: readonly FindingLike[]): string {
  const errors = findings.filter((f) => f.severity === "ERROR").length;
  const warnings = findings.filter((f) => f.severity === "WARNING").length;
  if (errors > 0) {
    return `Marketing Cloud would refuse or fail this: ${errors} ${errors === 1 ? "error" : "errors"} to fix${warnings ? `, ${warnings} ${warnings === 1 ? "warning" : "warnings"}` : ""}.`;
  }
  if (warnings > 0) {
    return `It would run, but ${warnings} ${warnings === 1 ? "warning needs" : "warnings need"} your attention (a deploy asks you to acknowledge them).`;
  }
  return "Nothing found that Marketing Cloud would refuse or fail on.";
}
