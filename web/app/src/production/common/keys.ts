// Idempotency keys for the create and deploy mutations. A key is the dialog's own nonce (new
// each time a dialog opens) joined with a hash of the request: sending the same request again
// (a retry after a lost answer, a double click) reuses the key, so the server answers the first
// outcome and creates nothing twice; a corrected request gets a key of its own, so a refusal the
// server recorded for the first one never blocks it (IDEMPOTENCY_KEY_REUSED).

/** A random nonce for one opening of a dialog. */
export function newNonce(): string {
  const bytes = new Uint8Array(12);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** JSON with object keys sorted and `undefined` members left out: equal values, equal text. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v ?? null)).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
}

/** 64-bit FNV-1a of the text's UTF-16 units, as 16 hex digits (not a secret: a fingerprint). */
export function fingerprint(text: string): string {
  let hi = 0xcbf29ce4;
  let lo = 0x84222325;
  for (let i = 0; i < text.length; i++) {
    lo = (lo ^ text.charCodeAt(i)) >>> 0;
    // multiply (hi, lo) by the 64-bit FNV prime 0x100000001b3
    const loMul = lo * 0x1b3;
    const carry = Math.floor(loMul / 0x100000000);
    const newLo = loMul >>> 0;
    hi = (Math.imul(hi, 0x1b3) + Math.imul(lo, 0x100) + carry) >>> 0;
    lo = newLo;
  }
  return hi.toString(16).padStart(8, "0") + lo.toString(16).padStart(8, "0");
}

/** The idempotency key of `input` sent from the dialog opened with `nonce` (at most 200 chars). */
export function idempotencyKey(nonce: string, input: unknown): string {
  return `web-${nonce}-${fingerprint(canonicalJson(input))}`;
}
