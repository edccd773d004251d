// HTTP transport: the session (and its CSRF token) from GET /api/auth/session, GraphQL over
// POST with the cookie and X-CSRF-Token. Every failure becomes an ApiProblem with a plain message.
import type { TypedDocumentString } from "../gql/graphql";
import { ApiProblem, kindForCode, MESSAGES, reportSessionProblem } from "./problems";

export const SESSION_URL = "/api/auth/session";
export const GRAPHQL_URL = "/api/graphql";
export const SIGN_IN_URL = "/api/auth/login";
export const SIGN_OUT_URL = "/api/auth/logout";

export interface Session {
  signedIn: boolean;
  csrfToken: string | null;
  expiresAt: string | null;
}

let current: Session | null = null;

export function currentSession(): Session | null {
  return current;
}

export async function readSession(fetcher: typeof fetch = fetch): Promise<Session> {
  let response: Response;
  try {
    response = await fetcher(SESSION_URL, {
      credentials: "same-origin",
      cache: "no-store",
      headers: { Accept: "application/json" },
    });
  } catch {
    throw new ApiProblem("network", MESSAGES.network);
  }
  if (!response.ok) {
    throw await problemFromResponse(response);
  }
  const body = (await response.json()) as Partial<Session>;
  current = {
    signedIn: body.signedIn === true,
    csrfToken: typeof body.csrfToken === "string" ? body.csrfToken : null,
    expiresAt: typeof body.expiresAt === "string" ? body.expiresAt : null,
  };
  return current;
}

interface GraphQLErrorBody {
  message?: string;
  extensions?: { code?: string };
}

interface GraphQLBody<R> {
  data?: R | null;
  errors?: GraphQLErrorBody[];
  error?: { code?: string; message?: string; requestId?: string };
}

/** A problem for a non-2xx answer (a JSON `{error: {code, message, requestId}}` or anything). */
export async function problemFromResponse(response: Response): Promise<ApiProblem> {
  const requestId = response.headers.get("x-request-id");
  let code: string | null = null;
  try {
    const body = (await response.json()) as GraphQLBody<unknown>;
    code = body.error?.code ?? null;
  } catch {
    // not JSON: judged by the status alone
  }
  if (response.status === 403 && (code === "CSRF" || code === null)) {
    return new ApiProblem("csrf", MESSAGES.csrf, { code: "CSRF", requestId });
  }
  if (response.status === 401) {
    return new ApiProblem("signed-out", MESSAGES["signed-out"], { code, requestId });
  }
  if (response.status === 429) {
    return new ApiProblem("rate-limited", MESSAGES["rate-limited"], { code, requestId });
  }
  if (response.status >= 500) {
    return new ApiProblem("server", MESSAGES.server, { code, requestId });
  }
  return new ApiProblem(kindForCode(code), MESSAGES.request, { code, requestId });
}

/** The first GraphQL error as a problem; the API's messages are safe to show. */
export function problemFromErrors(
  errors: GraphQLErrorBody[],
  requestId: string | null,
): ApiProblem {
  const first = errors[0] ?? {};
  const code = first.extensions?.code ?? null;
  const kind = kindForCode(code);
  const message =
    kind === "request" || kind === "forbidden" ? first.message || MESSAGES.request : MESSAGES[kind];
  return new ApiProblem(kind, message, { code, requestId });
}

export interface RequestOptions {
  signal?: AbortSignal;
  fetcher?: typeof fetch;
}

/** Run one operation over HTTP; resolves with `data`, rejects with an ApiProblem. */
export async function request<R, V>(
  document: TypedDocumentString<R, V>,
  variables: V,
  { signal, fetcher = fetch }: RequestOptions = {},
): Promise<R> {
  let response: Response;
  try {
    response = await fetcher(GRAPHQL_URL, {
      method: "POST",
      credentials: "same-origin",
      signal: signal ?? null,
      headers: {
        Accept: "application/json",
        "Content-Type": "application/json",
        "X-CSRF-Token": current?.csrfToken ?? "",
      },
      body: JSON.stringify({ query: document.toString(), variables }),
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === "AbortError") throw error;
    throw new ApiProblem("network", MESSAGES.network);
  }
  const requestId = response.headers.get("x-request-id");
  if (!response.ok) {
    const problem = await problemFromResponse(response);
    if (problem.kind === "csrf" || problem.kind === "signed-out") reportSessionProblem(problem);
    throw problem;
  }
  let body: GraphQLBody<R>;
  try {
    body = (await response.json()) as GraphQLBody<R>;
  } catch {
    throw new ApiProblem("server", MESSAGES.server, { requestId });
  }
  if (body.errors && body.errors.length > 0) {
    const problem = problemFromErrors(body.errors, requestId);
    if (problem.kind === "signed-out") reportSessionProblem(problem);
    throw problem;
  }
  if (body.data === undefined || body.data === null) {
    throw new ApiProblem("server", MESSAGES.server, { requestId });
  }
  return body.data;
}
