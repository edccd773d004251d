// Search hits' highlights (code point ranges) as text parts, some marked.
import { utf16Offset } from "../editor/sqlText";

export interface Part {
  text: string;
  marked: boolean;
}

export function highlightParts(
  text: string,
  ranges: readonly { start: number; end: number }[],
): Part[] {
  const sorted = [...ranges].sort((a, b) => a.start - b.start);
  const parts: Part[] = [];
  let at = 0;
  for (const range of sorted) {
    const from = Math.max(at, utf16Offset(text, range.start));
    const to = Math.max(from, utf16Offset(text, range.end));
    if (from > at) parts.push({ text: text.slice(at, from), marked: false });
    if (to > from) parts.push({ text: text.slice(from, to), marked: true });
    at = Math.max(at, to);
  }
  if (at < text.length) parts.push({ text: text.slice(at), marked: false });
  return parts;
}

/** A field's name as SQL writes it: always bracketed, a closing bracket doubled. */
export function bracketed(name: string): string {
  return `[${name.replaceAll("]", "]]")}]`;
}

/** A field's type as people read it: Text(254), Decimal(18,2), Number. */
export function typeLabel(field: {
  fieldType: string;
  maxLength: number | null;
  precision?: number | null;
  scale?: number | null;
}): string {
  const name = field.fieldType
    .toLowerCase()
    .split("_")
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join("");
  if (field.fieldType === "DECIMAL") {
    const precision = field.precision ?? field.maxLength;
    return precision !== null && precision !== undefined
      ? `${name}(${precision},${field.scale ?? 0})`
      : name;
  }
  return field.maxLength !== null && field.fieldType !== "NUMBER"
    ? `${name}(${field.maxLength})`
    : name;
}
