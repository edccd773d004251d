// The API counts offsets in Unicode code points (as Python does); JavaScript strings and
// CodeMirror count UTF-16 code units. The two differ after a character outside the BMP.

/** The UTF-16 offset of code point `codePoints` in `text` (clamped to the text). */
export function utf16Offset(text: string, codePoints: number): number {
  let units = 0;
  let seen = 0;
  while (seen < codePoints && units < text.length) {
    const code = text.charCodeAt(units);
    units += code >= 0xd800 && code <= 0xdbff && units + 1 < text.length ? 2 : 1;
    seen += 1;
  }
  return units;
}

/** The code point offset of UTF-16 offset `units` in `text`. */
export function codePointOffset(text: string, units: number): number {
  let seen = 0;
  let index = 0;
  const end = Math.min(units, text.length);
  while (index < end) {
    const code = text.charCodeAt(index);
    index += code >= 0xd800 && code <= 0xdbff && index + 1 < text.length ? 2 : 1;
    seen += 1;
  }
  return seen;
}
