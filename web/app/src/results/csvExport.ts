// The CSV export is a link the server answers as an attachment (`GET /api/runs/{id}/export.csv`).
//
// It navigates a hidden frame of the app instead of carrying the `download` attribute: Chromium
// fetches an `<a download>` as a download of its own, without the frame's cookie partition,
// so inside Marketing Cloud's iframe the partitioned session cookie is not sent and the
// download fails (the server refuses it, the browser says "canceled"). A navigation of a
// frame under the app is partitioned like the app and carries the cookie; the server's
// `Content-Disposition: attachment` turns the answer into the download and names the file.
// A refusal is a JSON document that loads into the hidden frame instead, which the app reads.
import { ApiProblem, kindForCode, MESSAGES } from "../api/problems";

export function exportHref(runId: string): string {
  return `/api/runs/${encodeURIComponent(runId)}/export.csv`;
}

/** What the server's refusal says (its text as loaded into the frame), as a problem to show. */
export function exportRefusal(text: string | null | undefined): ApiProblem {
  let error: unknown = null;
  try {
    error = (JSON.parse(text ?? "") as { error?: unknown })?.error ?? null;
  } catch {
    error = null;
  }
  if (!error || typeof error !== "object") return new ApiProblem("server", MESSAGES.server);
  const { code, message, requestId } = error as Record<string, unknown>;
  const safeCode = typeof code === "string" ? code : null;
  const kind = kindForCode(safeCode);
  const said =
    kind === "request" && typeof message === "string" && message.trim() ? message : MESSAGES[kind];
  return new ApiProblem(kind, said, {
    code: safeCode,
    requestId: typeof requestId === "string" ? requestId : null,
  });
}
