// The websocket (graphql-transport-ws through graphql-ws): one lazy socket for the page,
// authenticated with the session's CSRF token in connection_init (docs/api.md).
//
// The client never re-subscribes by itself (retryAttempts 0): after a dropped socket each
// live operation subscribes again with variables computed from what it already holds (the
// results' next offset, the events' last cursor), so nothing is missed or received twice.
// The server runs at most 10 operations per socket; `live` refuses an eleventh.
import { type Client, createClient } from "graphql-ws";
import type { TypedDocumentString } from "../gql/graphql";
import { currentSession, problemFromErrors } from "./http";
import { ApiProblem, MESSAGES, reportSessionProblem } from "./problems";

export const MAX_OPERATIONS = 10;

let client: Client | null = null;
let active = 0;
const activeListeners = new Set<(count: number) => void>();

function socketUrl(): string {
  const { protocol, host } = window.location;
  return `${protocol === "https:" ? "wss" : "ws"}://${host}/api/graphql`;
}

function getClient(): Client {
  if (client === null) {
    client = createClient({
      url: socketUrl(),
      lazy: true,
      lazyCloseTimeout: 2_000,
      retryAttempts: 0,
      keepAlive: 20_000,
      connectionParams: () => ({ csrfToken: currentSession()?.csrfToken ?? "" }),
    });
  }
  return client;
}

/** Close the socket (after signing in again, so the next one carries the new CSRF token). */
export function resetSocket(): void {
  const old = client;
  client = null;
  void old?.dispose();
}

export function activeOperations(): number {
  return active;
}

export function onActiveOperations(listener: (count: number) => void): () => void {
  activeListeners.add(listener);
  return () => activeListeners.delete(listener);
}

function setActive(delta: number): void {
  active += delta;
  for (const listener of activeListeners) listener(active);
}

/** Close codes after which subscribing again cannot help. */
const FINAL_CLOSE_CODES = new Set([4400, 4401, 4403, 4406, 4409, 4429, 4500, 1002, 1003, 1008]);

export interface LiveOptions<R, V> {
  document: TypedDocumentString<R, V>;
  /** Evaluated at every (re)subscribe: the resume point comes from here. */
  variables: () => V;
  next: (data: R) => void;
  complete?: () => void;
  /** A final failure: no more retries. */
  error?: (problem: ApiProblem) => void;
  /** Told when the socket dropped and a retry is scheduled. */
  reconnecting?: () => void;
}

export interface Live {
  stop(): void;
}

interface CloseLike {
  code: number;
  reason?: string;
}

function isClose(value: unknown): value is CloseLike {
  return (
    typeof value === "object" && value !== null && typeof (value as CloseLike).code === "number"
  );
}

/** Classify what graphql-ws passed to `error`: retry, or a final problem. */
export function classifySinkError(value: unknown): "retry" | ApiProblem {
  if (Array.isArray(value)) {
    return problemFromErrors(value as { message?: string; extensions?: { code?: string } }[], null);
  }
  if (isClose(value)) {
    if (value.code === 4403) return new ApiProblem("signed-out", MESSAGES["signed-out"]);
    if (FINAL_CLOSE_CODES.has(value.code)) return new ApiProblem("server", MESSAGES.server);
    return "retry";
  }
  // An Event from a socket that could not open, or a transport error: try again.
  return "retry";
}

export function backoffMs(attempt: number): number {
  return Math.min(5_000, 250 * 2 ** Math.max(0, attempt - 1));
}

/**
 * Subscribe, and subscribe again after a dropped socket with fresh variables, until the server
 * completes the operation, a final error arrives, or `stop()`. Throws when the page already
 * runs MAX_OPERATIONS operations on its socket.
 */
export function live<R, V>(options: LiveOptions<R, V>): Live {
  if (active >= MAX_OPERATIONS) {
    throw new ApiProblem("request", "Too many live operations at once; close a tab's run first.");
  }
  setActive(1);
  let stopped = false;
  let attempt = 0;
  let unsubscribe: (() => void) | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;

  const finish = () => {
    if (stopped) return;
    stopped = true;
    setActive(-1);
  };

  const start = () => {
    if (stopped) return;
    unsubscribe = getClient().subscribe<R>(
      {
        query: options.document.toString(),
        variables: options.variables() as Record<string, unknown>,
      },
      {
        next: (result) => {
          attempt = 0;
          if (result.errors && result.errors.length > 0) {
            const problem = problemFromErrors(
              result.errors as { message?: string; extensions?: { code?: string } }[],
              null,
            );
            finish();
            unsubscribe?.();
            if (problem.kind === "signed-out") reportSessionProblem(problem);
            options.error?.(problem);
            return;
          }
          if (result.data) options.next(result.data as R);
        },
        error: (value) => {
          if (stopped) return;
          const verdict = classifySinkError(value);
          if (verdict === "retry") {
            attempt += 1;
            options.reconnecting?.();
            timer = setTimeout(start, backoffMs(attempt));
            return;
          }
          finish();
          if (verdict.kind === "signed-out") reportSessionProblem(verdict);
          options.error?.(verdict);
        },
        complete: () => {
          if (stopped) return;
          finish();
          options.complete?.();
        },
      },
    );
  };
  start();
  return {
    stop() {
      if (timer !== null) clearTimeout(timer);
      const wasStopped = stopped;
      finish();
      if (!wasStopped) unsubscribe?.();
    },
  };
}
