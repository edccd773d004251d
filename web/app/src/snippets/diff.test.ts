import { describe, expect, it } from "vitest";
import { diffLines, MAX_EDITS, type Op, sideBySide, splitLines, summarize } from "./diff";

/** The two texts' lines, rebuilt from the operations. */
function rebuild(ops: readonly Op[]): { before: string[]; after: string[] } {
  return {
    before: ops.filter((o) => o.kind !== "added").map((o) => o.text),
    after: ops.filter((o) => o.kind !== "removed").map((o) => o.text),
  };
}

/** The length of a longest common subsequence (a slow reference). */
function lcs(a: string[], b: string[]): number {
  const table = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = 1; i <= a.length; i += 1) {
    for (let j = 1; j <= b.length; j += 1) {
      table[i]![j] =
        a[i - 1] === b[j - 1]
          ? table[i - 1]![j - 1]! + 1
          : Math.max(table[i - 1]![j]!, table[i]![j - 1]!);
    }
  }
  return table[a.length]![b.length]!;
}

function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
}

describe("the line diff", () => {
  it("splits lines on every line ending, with no line for empty text", () => {
    expect(splitLines("")).toEqual([]);
    expect(splitLines("a\r\nb\rc\nd")).toEqual(["a", "b", "c", "d"]);
    expect(splitLines("a\n")).toEqual(["a", ""]);
  });

  it("finds a changed line between unchanged ones", () => {
    const ops = diffLines("SELECT a\nFROM t\nWHERE x = 1", "SELECT a\nFROM u\nWHERE x = 1");
    expect(ops).toEqual([
      { kind: "same", text: "SELECT a" },
      { kind: "removed", text: "FROM t" },
      { kind: "added", text: "FROM u" },
      { kind: "same", text: "WHERE x = 1" },
    ]);
    expect(summarize(ops)).toEqual({ added: 1, removed: 1 });
  });

  it("handles empty sides and identical texts", () => {
    expect(diffLines("", "a\nb").map((o) => o.kind)).toEqual(["added", "added"]);
    expect(diffLines("a\nb", "").map((o) => o.kind)).toEqual(["removed", "removed"]);
    expect(diffLines("a\nb", "a\nb").map((o) => o.kind)).toEqual(["same", "same"]);
    expect(diffLines("", "")).toEqual([]);
  });

  it("is a shortest diff that rebuilds both texts (random texts against an LCS)", () => {
    const next = random(42);
    const alphabet = ["a", "b", "c", "d", "SELECT 1", ""];
    for (let round = 0; round < 300; round += 1) {
      const pick = () =>
        Array.from(
          { length: Math.floor(next() * 12) },
          () => alphabet[Math.floor(next() * alphabet.length)]!,
        );
      const a = pick();
      const b = pick();
      const ops = diffLines(a.join("\n"), b.join("\n"));
      const rebuilt = rebuild(ops);
      expect(rebuilt.before).toEqual(splitLines(a.join("\n")));
      expect(rebuilt.after).toEqual(splitLines(b.join("\n")));
      const same = ops.filter((o) => o.kind === "same").length;
      expect(same).toBe(lcs(splitLines(a.join("\n")), splitLines(b.join("\n"))));
    }
  });

  it("stays correct (if not shortest) past the edit limit, and quick on big texts", () => {
    const a = Array.from({ length: 3_000 }, (_, i) => `a${i}`).join("\n");
    const b = Array.from({ length: 3_000 }, (_, i) => `b${i}`).join("\n");
    const started = performance.now();
    const ops = diffLines(a, b);
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(rebuild(ops)).toEqual({ before: splitLines(a), after: splitLines(b) });
    expect(summarize(ops)).toEqual({ added: 3_000, removed: 3_000 });
    expect(MAX_EDITS).toBeLessThan(6_000);
  });

  it("pairs removed and added runs side by side, numbering each side", () => {
    const rows = sideBySide(diffLines("a\nb\nc\nd", "a\nB\nc\nd\ne"));
    expect(rows.map((r) => r.kind)).toEqual(["same", "changed", "same", "same", "added"]);
    expect(rows[1]).toEqual({
      kind: "changed",
      left: { number: 2, text: "b" },
      right: { number: 2, text: "B" },
    });
    expect(rows[4]).toEqual({ kind: "added", left: null, right: { number: 5, text: "e" } });
    const uneven = sideBySide(diffLines("x\n1\n2\n3\ny", "x\n9\ny"));
    expect(uneven.map((r) => [r.kind, r.left?.number ?? null, r.right?.number ?? null])).toEqual([
      ["same", 1, 1],
      ["changed", 2, 2],
      ["removed", 3, null],
      ["removed", 4, null],
      ["same", 5, 3],
    ]);
  });
});
