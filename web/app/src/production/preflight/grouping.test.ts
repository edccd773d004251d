import { describe, expect, it } from "vitest";
import { groupBySeverity, mergeAcrossBusinessUnits, placeOf, verdict } from "./grouping";

const range = (start: number, end: number) => ({ start, end, line: 1, column: start + 1 });

describe("findings", () => {
  it("group by severity, most severe first, keeping the API's order in each", () => {
    const groups = groupBySeverity([
      { code: "TARGET_COLUMN_NOT_FILLED", severity: "INFO", message: "n" },
      { code: "POSSIBLY_TRUNCATED", severity: "WARNING", message: "w1" },
      { code: "OUTPUT_COLUMN_NOT_IN_TARGET", severity: "ERROR", message: "e" },
      { code: "NULLABLE_INTO_REQUIRED", severity: "WARNING", message: "w2" },
    ] as const);
    expect(groups.map((g) => [g.severity, g.label, g.items.map((f) => f.message)])).toEqual([
      ["ERROR", "1 error", ["e"]],
      ["WARNING", "2 warnings", ["w1", "w2"]],
      ["INFO", "1 note", ["n"]],
    ]);
    expect(groupBySeverity([])).toEqual([]);
  });

  it("fold the same finding of several BUs into one naming them all", () => {
    const merged = mergeAcrossBusinessUnits([
      { code: "W", severity: "WARNING", message: "m", column: "A", range: range(7, 8), mid: "1" },
      { code: "W", severity: "WARNING", message: "m", column: "A", range: range(7, 8), mid: "2" },
      { code: "W", severity: "WARNING", message: "m", column: "A", range: range(9, 10), mid: "3" },
      { code: "E", severity: "ERROR", message: "x", mid: "2" },
    ]);
    expect(merged.map((f) => [f.code, f.range?.start ?? null, f.mids])).toEqual([
      ["W", 7, ["1", "2"]],
      ["W", 9, ["3"]],
      ["E", null, ["2"]],
    ]);
  });

  it("say where and what it means", () => {
    expect(placeOf({ start: 20, end: 25, line: 2, column: 8 })).toBe("line 2, column 8");
    expect(placeOf(null)).toBeNull();
    expect(verdict([])).toMatch(/^Nothing found/);
    expect(verdict([{ code: "W", severity: "WARNING", message: "" }])).toMatch(
      /1 warning needs your attention/,
    );
    expect(
      verdict([
        { code: "E", severity: "ERROR", message: "" },
        { code: "W", severity: "WARNING", message: "" },
      ]),
    ).toBe("Marketing Cloud would refuse or fail this: 1 error to fix, 1 warning.");
  });
});
