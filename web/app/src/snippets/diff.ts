// The line diff behind a snippet's history: two versions side by side. Computed here, in the
// browser, because the API serves versions whole (docs/snippets.md) and a diff of two of them
// needs nothing else.
//
// Myers' O((N+M)·D) algorithm on line ids after trimming the common head and tail. Versions
// are at most 100,000 characters; when they differ in more than MAX_EDITS lines the rest is
// shown as replaced (still a correct diff, only not the shortest), which bounds time and the
// O(D²) trace this keeps for the walk back.

export const MAX_EDITS = 2_000;

export type Op = { kind: "same" | "removed" | "added"; text: string };

export interface Side {
  /** 1-based line number in its version. */
  number: number;
  text: string;
}

export interface Row {
  kind: "same" | "removed" | "added" | "changed";
  left: Side | null;
  right: Side | null;
}

export interface DiffSummary {
  added: number;
  removed: number;
}

/** The lines of a text: "\r\n", "\r" and "\n" all end a line; "" has no lines. */
export function splitLines(text: string): string[] {
  if (text === "") return [];
  return text.split(/\r\n|\r|\n/);
}

/** Edit operations turning `before` into `after`, line by line, in order. */
export function diffLines(before: string, after: string): Op[] {
  const a = splitLines(before);
  const b = splitLines(after);
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head += 1;
  let tail = 0;
  while (
    tail < a.length - head &&
    tail < b.length - head &&
    a[a.length - 1 - tail] === b[b.length - 1 - tail]
  ) {
    tail += 1;
  }
  const ops: Op[] = a.slice(0, head).map((text) => ({ kind: "same", text }));
  ops.push(...middle(a.slice(head, a.length - tail), b.slice(head, b.length - tail)));
  for (const text of a.slice(a.length - tail)) ops.push({ kind: "same", text });
  return ops;
}

function middle(a: string[], b: string[]): Op[] {
  if (a.length === 0) return b.map((text) => ({ kind: "added", text }));
  if (b.length === 0) return a.map((text) => ({ kind: "removed", text }));
  // Lines as small integers: comparisons in the loop are then cheap.
  const ids = new Map<string, number>();
  const idOf = (line: string) => {
    let id = ids.get(line);
    if (id === undefined) {
      id = ids.size;
      ids.set(line, id);
    }
    return id;
  };
  const x = Int32Array.from(a, idOf);
  const y = Int32Array.from(b, idOf);
  const n = x.length;
  const m = y.length;
  const offset = n + m;
  const v = new Int32Array(2 * offset + 2);
  const trace: Int32Array[] = [];
  const limit = Math.min(n + m, MAX_EDITS);
  for (let d = 0; d <= limit; d += 1) {
    trace.push(v.slice(offset - d, offset + d + 1));
    for (let k = -d; k <= d; k += 2) {
      const down = k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!);
      let i = down ? v[offset + k + 1]! : v[offset + k - 1]! + 1;
      let j = i - k;
      while (i < n && j < m && x[i] === y[j]) {
        i += 1;
        j += 1;
      }
      v[offset + k] = i;
      if (i >= n && j >= m) return walkBack(trace, d, a, b, n, m);
    }
  }
  // Too many edits: everything in between is replaced.
  return [
    ...a.map((text): Op => ({ kind: "removed", text })),
    ...b.map((text): Op => ({ kind: "added", text })),
  ];
}

/** Follow the saved frontiers back from (n, m) to (0, 0). */
function walkBack(
  trace: Int32Array[],
  last: number,
  a: string[],
  b: string[],
  n: number,
  m: number,
): Op[] {
  const reversed: Op[] = [];
  let i = n;
  let j = m;
  for (let d = last; d > 0; d -= 1) {
    const frontier = trace[d]!; // v[-d..d] before step d: the values of step d - 1
    const at = (k: number) => frontier[k + d]!;
    const k = i - j;
    const down = k === -d || (k !== d && at(k - 1) < at(k + 1));
    const prevK = down ? k + 1 : k - 1;
    const prevI = at(prevK);
    const prevJ = prevI - prevK;
    while (i > prevI + (down ? 0 : 1) && j > prevJ + (down ? 1 : 0)) {
      i -= 1;
      j -= 1;
      reversed.push({ kind: "same", text: a[i]! });
    }
    if (down) {
      j -= 1;
      reversed.push({ kind: "added", text: b[j]! });
    } else {
      i -= 1;
      reversed.push({ kind: "removed", text: a[i]! });
    }
  }
  while (i > 0 && j > 0) {
    i -= 1;
    j -= 1;
    reversed.push({ kind: "same", text: a[i]! });
  }
  return reversed.reverse();
}

/**
 * Side-by-side rows: unchanged lines on both sides; a run of removed lines next to the run of
 * added lines that follows it ("changed"), the longer run's rest alone on its side.
 */
export function sideBySide(ops: readonly Op[]): Row[] {
  const rows: Row[] = [];
  let left = 0;
  let right = 0;
  let index = 0;
  while (index < ops.length) {
    const op = ops[index]!;
    if (op.kind === "same") {
      left += 1;
      right += 1;
      rows.push({
        kind: "same",
        left: { number: left, text: op.text },
        right: { number: right, text: op.text },
      });
      index += 1;
      continue;
    }
    const removed: string[] = [];
    const added: string[] = [];
    while (index < ops.length && ops[index]!.kind === "removed") removed.push(ops[index++]!.text);
    while (index < ops.length && ops[index]!.kind === "added") added.push(ops[index++]!.text);
    for (let r = 0; r < Math.max(removed.length, added.length); r += 1) {
      const l = removed[r];
      const a = added[r];
      rows.push({
        kind:
          l !== undefined && a !== undefined ? "changed" : l !== undefined ? "removed" : "added",
        left: l === undefined ? null : { number: ++left, text: l },
        right: a === undefined ? null : { number: ++right, text: a },
      });
    }
  }
  return rows;
}

export function summarize(ops: readonly Op[]): DiffSummary {
  let added = 0;
  let removed = 0;
  for (const op of ops) {
    if (op.kind === "added") added += 1;
    else if (op.kind === "removed") removed += 1;
  }
  return { added, removed };
}
