// Failures the app can show: each has a plain message, never a stack trace or raw server text
// other than the API's own safe messages (docs/api.md: only public errors pass unmasked).

export type ProblemKind =
  | "network" // the request never got an answer
  | "csrf" // the server refused the page's security token
  | "signed-out" // no session (expired, signed out elsewhere)
  | "rate-limited"
  | "forbidden"
  | "server" // 5xx or a masked error
  | "request"; // the API refused this request (a GraphQL error with a safe message)

export class ApiProblem extends Error {
  readonly kind: ProblemKind;
  readonly code: string | null;
  readonly requestId: string | null;

  constructor(
    kind: ProblemKind,
    message: string,
    { code = null, requestId = null }: { code?: string | null; requestId?: string | null } = {},
  ) {
    super(message);
    this.name = "ApiProblem";
    this.kind = kind;
    this.code = code;
    this.requestId = requestId;
  }
}

export const MESSAGES: Record<ProblemKind, string> = {
  network: "Quarry could not be reached. Check your connection; your work in the editor is kept.",
  csrf: "Quarry refused the request: this page's security token is out of date. Reload the page (your tabs are kept).",
  "signed-out": "Your session has ended. Sign in again to continue (your tabs are kept).",
  "rate-limited": "Too many requests in a short time. Wait a moment and try again.",
  forbidden: "You are not allowed to do that here.",
  server:
    "Quarry had an unexpected problem. Try again; if it keeps happening, quote the request id to support.",
  request: "The request was refused.",
};

/** What to show for any thrown value: an ApiProblem's message, else a generic sentence. */
export function describeProblem(error: unknown): string {
  if (error instanceof ApiProblem) {
    const suffix = error.requestId ? ` (request id ${error.requestId})` : "";
    return error.message + suffix;
  }
  return MESSAGES.server;
}

/** The problem kind for a GraphQL error code in `extensions.code`. */
export function kindForCode(code: string | null | undefined): ProblemKind {
  switch (code) {
    case "UNAUTHENTICATED":
      return "signed-out";
    case "CSRF":
      return "csrf";
    case "RATE_LIMITED":
      return "rate-limited";
    case "FORBIDDEN":
      return "forbidden";
    case "INTERNAL":
      return "server";
    default:
      return "request";
  }
}

type Listener = (problem: ApiProblem) => void;
const sessionListeners = new Set<Listener>();

/** Called when any request finds the session gone (or its CSRF token refused). */
export function onSessionProblem(listener: Listener): () => void {
  sessionListeners.add(listener);
  return () => sessionListeners.delete(listener);
}

export function reportSessionProblem(problem: ApiProblem): void {
  for (const listener of sessionListeners) listener(problem);
}
