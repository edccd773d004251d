import { describe, expect, it } from "vitest";
import { ViewerQuery } from "../account/operations";
import { readSession, request } from "./http";
import { ApiProblem, MESSAGES, onSessionProblem } from "./problems";

type Call = { url: string; init: RequestInit };

function fakeFetch(answer: () => Response | Promise<Response>, calls: Call[] = []): typeof fetch {
  return (async (url: string | URL | Request, init?: RequestInit) => {
    calls.push({ url: String(url), init: init ?? {} });
    return answer();
  }) as typeof fetch;
}

function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

async function problemOf(promise: Promise<unknown>): Promise<ApiProblem> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ApiProblem) return error;
    throw error;
  }
  throw new Error("expected a problem");
}

describe("the GraphQL client over HTTP", () => {
  it("sends the session's CSRF token with every POST and returns data", async () => {
    await readSession(
      fakeFetch(() => json({ signedIn: true, csrfToken: "tok-1", expiresAt: null })),
    );
    const calls: Call[] = [];
    const data = await request(
      ViewerQuery,
      {},
      { fetcher: fakeFetch(() => json({ data: { viewer: null } }), calls) },
    );
    expect(data).toEqual({ viewer: null });
    expect(calls[0]?.init.method).toBe("POST");
    expect((calls[0]!.init.headers as Record<string, string>)["X-CSRF-Token"]).toBe("tok-1");
    expect(JSON.parse(String(calls[0]?.init.body)).query).toContain("query Viewer");
  });

  it("says plainly when the network fails, without the browser's error text", async () => {
    const problem = await problemOf(
      request(
        ViewerQuery,
        {},
        {
          fetcher: (() => Promise.reject(new TypeError("Failed to fetch"))) as typeof fetch,
        },
      ),
    );
    expect(problem.kind).toBe("network");
    expect(problem.message).toBe(MESSAGES.network);
  });

  it("turns a CSRF refusal into a csrf problem and tells the session listeners", async () => {
    const seen: string[] = [];
    const off = onSessionProblem((p) => seen.push(p.kind));
    const problem = await problemOf(
      request(
        ViewerQuery,
        {},
        {
          fetcher: fakeFetch(() =>
            json({ error: { code: "CSRF", message: "no" } }, 403, { "x-request-id": "r-9" }),
          ),
        },
      ),
    );
    off();
    expect(problem.kind).toBe("csrf");
    expect(problem.requestId).toBe("r-9");
    expect(seen).toEqual(["csrf"]);
  });

  it("maps GraphQL error codes; masked errors never show their text", async () => {
    const signedOut = await problemOf(
      request(
        ViewerQuery,
        {},
        {
          fetcher: fakeFetch(() =>
            json({
              data: null,
              errors: [{ message: "x", extensions: { code: "UNAUTHENTICATED" } }],
            }),
          ),
        },
      ),
    );
    expect(signedOut.kind).toBe("signed-out");
    const refused = await problemOf(
      request(
        ViewerQuery,
        {},
        {
          fetcher: fakeFetch(() =>
            json({
              data: null,
              errors: [{ message: "Run not found", extensions: { code: "NOT_FOUND" } }],
            }),
          ),
        },
      ),
    );
    expect(refused.kind).toBe("request");
    expect(refused.message).toBe("Run not found");
    const broken = await problemOf(
      request(
        ViewerQuery,
        {},
        { fetcher: fakeFetch(() => new Response("<html>", { status: 502 })) },
      ),
    );
    expect(broken.kind).toBe("server");
    expect(broken.message).toBe(MESSAGES.server);
  });
});
