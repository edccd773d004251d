import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { MESSAGES } from "../api/problems";
import { GapError, ResultBuffer } from "./buffer";
import { exportHref, exportRefusal } from "./csvExport";
import { ExportLink } from "./ExportLink";
import { formatCell, toTsv } from "./format";

describe("the result buffer", () => {
  it("reads rows by index across pages", () => {
    const buffer = new ResultBuffer();
    buffer.accept({ offset: 0, rows: [[1], [2]], total: 5, last: false });
    buffer.accept({ offset: 2, rows: [[3], [4], [5]], total: 5, last: true });
    expect(buffer.size).toBe(5);
    expect(buffer.total).toBe(5);
    expect(buffer.complete).toBe(true);
    expect([0, 1, 2, 4].map((i) => buffer.row(i)?.[0])).toEqual([1, 2, 3, 5]);
    expect(buffer.row(5)).toBeUndefined();
    expect(buffer.slice(1, 3)).toEqual([[2], [3]]);
  });

  it("resumes from its size: a repeated page adds nothing twice, a gap is refused", () => {
    const buffer = new ResultBuffer();
    buffer.accept({ offset: 0, rows: [[1], [2], [3]], total: 6, last: false });
    // After a dropped socket the stream resumes at buffer.size; a server resending an
    // overlapping page must not duplicate rows.
    expect(buffer.accept({ offset: 2, rows: [[3], [4]], total: 6, last: false })).toBe(1);
    expect(buffer.slice(0, 10).map((r) => r[0])).toEqual([1, 2, 3, 4]);
    expect(() => buffer.accept({ offset: 5, rows: [[6]], total: 6, last: true })).toThrow(GapError);
  });

  it("takes an empty last page for an empty result", () => {
    const buffer = new ResultBuffer();
    buffer.accept({ offset: 0, rows: [], total: 0, last: true });
    expect(buffer.size).toBe(0);
    expect(buffer.complete).toBe(true);
  });
});

describe("typed values", () => {
  it("show numbers, decimals, booleans and NULL", () => {
    expect(formatCell(42, "NUMBER")).toEqual({ text: "42", kind: "number" });
    expect(formatCell("9007199254740993", "NUMBER").text).toBe("9007199254740993");
    expect(formatCell("12.50", "DECIMAL")).toEqual({ text: "12.50", kind: "number" });
    expect(formatCell(false, "BOOLEAN").text).toBe("false");
    expect(formatCell(null, "TEXT")).toEqual({ text: "NULL", kind: "null" });
  });

  it("show dates as stored, with the zone only when the value has one", () => {
    expect(formatCell("2024-07-01T12:00:00", "DATE")).toEqual({
      text: "2024-07-01 12:00:00",
      kind: "date",
    });
    expect(formatCell("2024-07-01T12:00:00-06:00", "DATE")).toEqual({
      text: "2024-07-01 12:00:00",
      kind: "date",
      zone: "CST",
    });
    expect(formatCell("2024-07-01T12:00:00+02:00", "DATE").zone).toBe("UTC+02:00");
  });

  it("copy as TSV with NULL empty and awkward text quoted", () => {
    expect(
      toTsv(
        [
          [1, null, "a\tb"],
          [2, 'say "hi"', true],
        ],
        ["n", "x", "y"],
      ),
    ).toBe('n\tx\ty\n1\t\t"a\tb"\n2\t"say ""hi"""\ttrue');
  });
});

import { errorPosition, lineColumn } from "./errorLink";

describe("a run error's place in the SQL", () => {
  it("is the first occurrence of the name the message quotes", () => {
    const sql = "SELECT Name,\n  Nme FROM [Customers]";
    const found = errorPosition(sql, "Invalid column name 'Nme'.");
    expect(found && sql.slice(found.from, found.to)).toBe("Nme");
    expect(lineColumn(sql, found!.from)).toEqual({ line: 2, column: 3 });
    const table = errorPosition(sql, 'Invalid object name "Customers".');
    expect(table && sql.slice(table.from, table.to)).toBe("[Customers]");
    expect(errorPosition(sql, "Timeout.")).toBeNull();
  });
});

describe("the CSV export", () => {
  it("is a link into a hidden frame of the app, not a download attribute", () => {
    const html = renderToStaticMarkup(createElement(ExportLink, { runId: "UnVuOjE=/x" }));
    const link = /<a\b[^>]*>/.exec(html)?.[0] ?? "";
    const frame = /<iframe\b[^>]*>/.exec(html)?.[0] ?? "";
    expect(link).toContain(`href="${exportHref("UnVuOjE=/x")}"`);
    expect(exportHref("UnVuOjE=/x")).toBe("/api/runs/UnVuOjE%3D%2Fx/export.csv");
    expect(link).not.toContain("download");
    const target = /\starget="([^"]+)"/.exec(link)?.[1];
    expect(target).toBeTruthy();
    expect(frame).toContain(`name="${target}"`);
    expect(frame).toMatch(/\shidden=""/);
    expect(html).not.toContain("export-problem");
  });

  it("says a refusal the way the API put it", () => {
    const expired = exportRefusal(
      JSON.stringify({
        error: { code: "RESULTS_EXPIRED", message: "The results expired.", requestId: "r-1" },
      }),
    );
    expect(expired.kind).toBe("request");
    expect(expired.message).toBe("The results expired.");
    expect(expired.code).toBe("RESULTS_EXPIRED");
    expect(expired.requestId).toBe("r-1");
  });

  it("says an ended session, a rate limit or a masked error with the app's own sentences", () => {
    const gone = exportRefusal('{"error":{"code":"UNAUTHENTICATED","message":"Sign in."}}');
    expect(gone.kind).toBe("signed-out");
    expect(gone.message).toBe(MESSAGES["signed-out"]);
    expect(exportRefusal('{"error":{"code":"RATE_LIMITED","message":"x"}}').message).toBe(
      MESSAGES["rate-limited"],
    );
    expect(exportRefusal('{"error":{"code":"INTERNAL","message":"boom"}}').message).toBe(
      MESSAGES.server,
    );
  });

  it("never shows what is not the API's refusal", () => {
    for (const text of [null, undefined, "", "<html>Bad gateway</html>", "[]", '{"error":"x"}']) {
      const problem = exportRefusal(text);
      expect(problem.kind).toBe("server");
      expect(problem.message).toBe(MESSAGES.server);
    }
  });
});
