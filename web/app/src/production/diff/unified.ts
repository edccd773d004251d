// A unified diff (what deployment drift carries: what was deployed "---" against what
// Marketing Cloud holds "+++") read into lines with their kind and their line numbers on each
// side, so it can be shown as a table people and screen readers can follow.

export type DiffLineKind = "context" | "removed" | "added" | "hunk";

export interface DiffLine {
  kind: DiffLineKind;
  text: string;
  /** Line number in the deployed text (removed and context lines). */
  oldLine: number | null;
  /** Line number in Marketing Cloud's text (added and context lines). */
  newLine: number | null;
}

export interface ParsedDiff {
  oldLabel: string;
  newLabel: string;
  lines: DiffLine[];
  added: number;
  removed: number;
}

const HUNK = /^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@(.*)$/;

export function parseUnifiedDiff(diff: string): ParsedDiff {
  const out: ParsedDiff = { oldLabel: "", newLabel: "", lines: [], added: 0, removed: 0 };
  let oldLine = 1;
  let newLine = 1;
  let inHunk = false;
  const lines = diff.replace(/\r\n/g, "\n").split("\n");
  if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  for (const raw of lines) {
    if (!inHunk && raw.startsWith("--- ")) {
      out.oldLabel = raw.slice(4).trim();
      continue;
    }
    if (!inHunk && raw.startsWith("+++ ")) {
      out.newLabel = raw.slice(4).trim();
      continue;
    }
    const hunk = HUNK.exec(raw);
    if (hunk) {
      inHunk = true;
      oldLine = Number(hunk[1]);
      newLine = Number(hunk[2]);
      out.lines.push({ kind: "hunk", text: raw, oldLine: null, newLine: null });
      continue;
    }
    if (!inHunk || raw.startsWith("\\")) continue; // before a hunk; "\ No newline at end of file"
    if (raw.startsWith("-")) {
      out.lines.push({ kind: "removed", text: raw.slice(1), oldLine, newLine: null });
      oldLine += 1;
      out.removed += 1;
    } else if (raw.startsWith("+")) {
      out.lines.push({ kind: "added", text: raw.slice(1), oldLine: null, newLine });
      newLine += 1;
      out.added += 1;
    } else {
      // " text", or an empty line whose leading space was trimmed on the way
      out.lines.push({ kind: "context", text: raw.slice(1), oldLine, newLine });
      oldLine += 1;
      newLine += 1;
    }
  }
  return out;
}
