// Typed values as the grid shows them: numbers right-aligned, dates as Marketing Cloud stores
// them with their zone labelled when the value carries one, NULL shown as such.
import type { FieldType as SqlFieldType } from "./operations";

export interface Cell {
  text: string;
  kind: "null" | "number" | "date" | "boolean" | "text";
  /** A date's zone, when the value carries an offset. */
  zone?: string;
}

const DATE = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2}(?:\.\d+)?)(Z|[+-]\d{2}:\d{2})?$/;

/** A label for a UTC offset: Marketing Cloud's system time (CST all year) by name. */
export function zoneLabel(offset: string): string {
  if (offset === "Z" || offset === "+00:00") return "UTC";
  if (offset === "-06:00") return "CST";
  return `UTC${offset}`;
}

export function formatCell(value: unknown, type: SqlFieldType): Cell {
  if (value === null || value === undefined) return { text: "NULL", kind: "null" };
  switch (type) {
    case "NUMBER":
    case "DECIMAL":
      return { text: String(value), kind: "number" };
    case "BOOLEAN":
      return {
        text: value === true ? "true" : value === false ? "false" : String(value),
        kind: "boolean",
      };
    case "DATE": {
      const text = String(value);
      const match = DATE.exec(text);
      if (!match) return { text, kind: "date" };
      const shown = `${match[1]} ${match[2]}`;
      return match[3]
        ? { text: shown, kind: "date", zone: zoneLabel(match[3]) }
        : { text: shown, kind: "date" };
    }
    default:
      return { text: typeof value === "string" ? value : JSON.stringify(value), kind: "text" };
  }
}

/** The raw value as copied or exported: as the API encodes it, NULL as an empty field. */
export function rawText(value: unknown): string {
  if (value === null || value === undefined) return "";
  return typeof value === "string" ? value : String(value);
}

function tsvField(text: string): string {
  return /[\t\n\r"]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** Rows (and optionally a header) as tab-separated text, quoted as spreadsheets read it. */
export function toTsv(rows: readonly (readonly unknown[])[], header?: readonly string[]): string {
  const lines = rows.map((row) => row.map((value) => tsvField(rawText(value))).join("\t"));
  if (header) lines.unshift(header.map(tsvField).join("\t"));
  return lines.join("\n");
}

export function isRightAligned(type: SqlFieldType): boolean {
  return type === "NUMBER" || type === "DECIMAL";
}

/** A column's starting width in pixels, from its name and type. */
export function columnWidth(name: string, type: SqlFieldType, length: number | null): number {
  const byType: Partial<Record<SqlFieldType, number>> = {
    NUMBER: 110,
    DECIMAL: 130,
    BOOLEAN: 80,
    DATE: 200,
    EMAIL_ADDRESS: 240,
    PHONE: 140,
    LOCALE: 90,
  };
  const base = byType[type] ?? Math.min(320, Math.max(120, (length ?? 40) * 4));
  return Math.max(base, Math.min(320, name.length * 8 + 40));
}
