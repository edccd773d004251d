import { describe, expect, it } from "vitest";
import { parseUnifiedDiff } from "./unified";

describe("a drift's SQL diff", () => {
  it("reads Python difflib's unified diff (lineterm='') with line numbers on both sides", () => {
    const diff = [
      "--- deployed",
      "+++ in Marketing Cloud",
      "@@ -1,3 +1,3 @@",
      " SELECT SubscriberKey",
      "-FROM Subscribers WHERE OptIn = 1",
      "+FROM Subscribers WHERE OptIn = 0",
      " -- a comment",
      "@@ -10 +10,2 @@",
      "--- removed comment",
      "+added",
      "+",
    ].join("\n");
    const parsed = parseUnifiedDiff(diff);
    expect([parsed.oldLabel, parsed.newLabel, parsed.removed, parsed.added]).toEqual([
      "deployed",
      "in Marketing Cloud",
      2,
      3,
    ]);
    expect(parsed.lines.map((l) => [l.kind, l.oldLine, l.newLine, l.text])).toEqual([
      ["hunk", null, null, "@@ -1,3 +1,3 @@"],
      ["context", 1, 1, "SELECT SubscriberKey"],
      ["removed", 2, null, "FROM Subscribers WHERE OptIn = 1"],
      ["added", null, 2, "FROM Subscribers WHERE OptIn = 0"],
      ["context", 3, 3, "-- a comment"],
      ["hunk", null, null, "@@ -10 +10,2 @@"],
      ["removed", 10, null, "-- removed comment"],
      ["added", null, 10, "added"],
      ["added", null, 11, ""],
    ]);
  });

  it("is empty for no difference, and ignores a trailing newline and no-newline markers", () => {
    expect(parseUnifiedDiff("").lines).toEqual([]);
    const parsed = parseUnifiedDiff(
      "--- a\n+++ b\n@@ -1 +1 @@\n-x\n\\ No newline at end of file\n+y\n",
    );
    expect(parsed.lines.map((l) => l.kind)).toEqual(["hunk", "removed", "added"]);
  });
});
