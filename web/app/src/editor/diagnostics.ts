// validateSql's findings as CodeMirror diagnostics, at their positions (code points → UTF-16).
import type { Diagnostic } from "@codemirror/lint";
import type { ValidateSqlQuery } from "../gql/graphql";
import { utf16Offset } from "./sqlText";

export type Finding = ValidateSqlQuery["validateSql"]["findings"][number];

const SEVERITY: Record<Finding["severity"], Diagnostic["severity"]> = {
  ERROR: "error",
  WARNING: "warning",
  INFO: "info",
};

/** The text a diagnostic shows: what is wrong, then how to fix it. */
export function findingMessage(finding: Finding): string {
  const fix = finding.suggestion ? `\nFix: ${finding.suggestion}` : "";
  return `${finding.message}${fix}`;
}

export function toDiagnostics(text: string, findings: readonly Finding[]): Diagnostic[] {
  return findings.map((finding) => {
    let from = 0;
    let to = 0;
    if (finding.range) {
      from = utf16Offset(text, finding.range.start);
      to = Math.max(from, utf16Offset(text, finding.range.end));
    }
    if (to === from && text.length > 0) {
      // An empty range (or a finding about the whole text) still needs something to mark.
      to = Math.min(text.length, from + 1);
      if (to === from) from = Math.max(0, to - 1);
    }
    return {
      from,
      to,
      severity: SEVERITY[finding.severity],
      source: finding.code,
      message: findingMessage(finding),
    };
  });
}
