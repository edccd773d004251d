import { describe, expect, it } from "vitest";
import { bracketed, highlightParts, typeLabel } from "./highlight";

describe("search highlights", () => {
  it("mark the ranges the API gave, in code points", () => {
    expect(highlightParts("Orders 😀 Archive", [{ start: 9, end: 12 }])).toEqual([
      { text: "Orders 😀 ", marked: false },
      { text: "Arc", marked: true },
      { text: "hive", marked: false },
    ]);
    expect(highlightParts("Orders", [])).toEqual([{ text: "Orders", marked: false }]);
  });
});

describe("names and types for the editor and the field list", () => {
  it("bracket field names", () => {
    expect(bracketed("Event Type")).toBe("[Event Type]");
    expect(bracketed("odd]name")).toBe("[odd]]name]");
  });
  it("label types with lengths", () => {
    expect(typeLabel({ fieldType: "TEXT", maxLength: 254 })).toBe("Text(254)");
    expect(typeLabel({ fieldType: "EMAIL_ADDRESS", maxLength: 254 })).toBe("EmailAddress(254)");
    expect(typeLabel({ fieldType: "DECIMAL", maxLength: 18, precision: 18, scale: 2 })).toBe(
      "Decimal(18,2)",
    );
    expect(typeLabel({ fieldType: "NUMBER", maxLength: null })).toBe("Number");
  });
});
