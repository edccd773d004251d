// The page's CSP nonce: app/spa.py puts a fresh one in each response's header and in this
// meta element (Vite's html.cspNonce); CodeMirror's cspNonce facet and anything else that
// inserts <style> elements use it. Browsers hide the attribute after parsing; the property stays.
let cached: string | null = null;

export function cspNonce(): string {
  if (cached === null) {
    const meta = document.querySelector<HTMLMetaElement>('meta[property="csp-nonce"]');
    cached = meta?.nonce || meta?.getAttribute("nonce") || "";
  }
  return cached;
}
