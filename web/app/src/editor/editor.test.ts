import { describe, expect, it } from "vitest";
import { toCompletions } from "./completion";
import { toDiagnostics } from "./diagnostics";
import { codePointOffset, utf16Offset } from "./sqlText";

describe("code point offsets", () => {
  it("match UTF-16 offsets until a character outside the BMP", () => {
    const text = "SELECT '😀' AS x FROM y";
    expect(utf16Offset(text, 7)).toBe(7);
    expect(utf16Offset(text, 9)).toBe(10); // after the emoji
    expect(codePointOffset(text, 10)).toBe(9);
    expect(codePointOffset(text, text.length)).toBe([...text].length);
    expect(utf16Offset(text, 1000)).toBe(text.length);
  });
});

describe("validation findings as diagnostics", () => {
  it("are placed at their code point ranges with the fix in the message", () => {
    const text = "SELECT '😀', Nme FROM Customers";
    const [diagnostic] = toDiagnostics(text, [
      {
        code: "UNKNOWN_COLUMN",
        severity: "ERROR",
        message: "No table in scope has a column 'Nme'.",
        mceMessage: null,
        suggestion: "Check the spelling.",
        range: { start: 12, end: 15, line: 1, column: 13, endLine: 1, endColumn: 16 },
      },
    ]);
    expect(text.slice(diagnostic!.from, diagnostic!.to)).toBe("Nme");
    expect(diagnostic!.severity).toBe("error");
    expect(diagnostic!.message).toContain("Fix: Check the spelling.");
  });

  it("mark something even for a finding about the whole text", () => {
    const [diagnostic] = toDiagnostics("SELEC", [
      {
        code: "SYNTAX_ERROR",
        severity: "WARNING",
        message: "m",
        mceMessage: null,
        suggestion: null,
        range: null,
      },
    ]);
    expect(diagnostic!.to).toBeGreaterThan(diagnostic!.from);
    expect(diagnostic!.severity).toBe("warning");
  });
});

describe("completions", () => {
  it("insert the API's text and keep its order within a kind", () => {
    const options = toCompletions([
      {
        label: "Customers",
        kind: "TABLE",
        detail: "DE",
        insertText: "[Customers]",
        documentation: null,
      },
      {
        label: "Contacts",
        kind: "TABLE",
        detail: null,
        insertText: "Contacts",
        documentation: null,
      },
    ]);
    expect(options[0]).toMatchObject({ label: "Customers", apply: "[Customers]", type: "class" });
    expect(options[0]!.boost!).toBeGreaterThan(options[1]!.boost!);
  });
});
