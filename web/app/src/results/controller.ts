// One tab's run: start, follow (runEvents), stream its rows (runResults) while the tab is
// visible, cancel. Live operations are opened only for running or visible tabs (a socket runs
// at most 10); a running tab that finds no room falls back to asking for the run's status.
// After a dropped socket the events resume from the last cursor and the rows from the last
// offset held, so nothing is missed or duplicated.
import { request } from "../api/http";
import { type ApiProblem, describeProblem } from "../api/problems";
import { activeOperations, type Live, live, MAX_OPERATIONS } from "../api/ws";
import { GapError, ResultBuffer } from "./buffer";
import {
  CancelRunMutation,
  type FieldType,
  type RunColumn,
  type RunErrorDetails,
  RunEventsSubscription,
  RunQueryDocument,
  RunResultsSubscription,
  type RunStatus,
  StartRunMutation,
} from "./operations";

export const PAGE_SIZE = 2_500;
const FINAL: ReadonlySet<string> = new Set(["COMPLETE", "FAILED", "CANCELED", "EXPIRED"]);
/** Operations kept free for the page's own (session status, metadata sync) and the visible tab. */
const RESERVED = 3;

export interface StartFinding {
  code: string;
  message: string;
  suggestion: string | null;
  line: number | null;
  column: number | null;
  start: number | null;
  end: number | null;
}

export type StreamState = "idle" | "streaming" | "reconnecting" | "done" | "failed";

export interface RunSnapshot {
  runId: string | null;
  submitting: boolean;
  status: RunStatus | null;
  sql: string;
  columns: readonly RunColumn[];
  rowCount: number | null;
  error: RunErrorDetails | null;
  findings: readonly StartFinding[];
  problem: string | null;
  queuedAt: string | null;
  finishedAt: string | null;
  expiresAt: string | null;
  stream: StreamState;
  rows: ResultBuffer;
  /** Bumped when rows arrive (the buffer itself is not copied). */
  rowsVersion: number;
  /** When the first page was painted-ready, for timing. */
  firstRowsAt: number | null;
  startedClickAt: number | null;
}

function blank(): RunSnapshot {
  return {
    runId: null,
    submitting: false,
    status: null,
    sql: "",
    columns: [],
    rowCount: null,
    error: null,
    findings: [],
    problem: null,
    queuedAt: null,
    finishedAt: null,
    expiresAt: null,
    stream: "idle",
    rows: new ResultBuffer(),
    rowsVersion: 0,
    firstRowsAt: null,
    startedClickAt: null,
  };
}

/** An event's column type ("EmailAddress") as the schema's enum (EMAIL_ADDRESS). */
export function enumType(type: unknown): FieldType {
  const text = String(type ?? "Text");
  const upper = text.includes("_")
    ? text.toUpperCase()
    : text.replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase();
  const known: FieldType[] = [
    "TEXT",
    "NUMBER",
    "DATE",
    "BOOLEAN",
    "EMAIL_ADDRESS",
    "PHONE",
    "DECIMAL",
    "LOCALE",
  ];
  return (known as string[]).includes(upper) ? (upper as FieldType) : "TEXT";
}

function eventColumns(value: unknown): RunColumn[] {
  if (!Array.isArray(value)) return [];
  return value.map((item: { name?: unknown; type?: unknown; length?: unknown }) => ({
    name: String(item.name ?? ""),
    fieldType: enumType(item.type),
    length: typeof item.length === "number" ? item.length : null,
    precision: null,
    scale: null,
    nullable: true,
  }));
}

export class RunController {
  private snapshot: RunSnapshot = blank();
  private readonly listeners = new Set<() => void>();
  private events: Live | null = null;
  private results: Live | null = null;
  private poll: ReturnType<typeof setTimeout> | null = null;
  private cursor: string | null = null;
  private visible = false;
  private disposed = false;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getSnapshot = (): RunSnapshot => this.snapshot;

  private set(change: Partial<RunSnapshot>): void {
    this.snapshot = { ...this.snapshot, ...change };
    for (const listener of this.listeners) listener();
  }

  /** Whether the tab is on screen: only then are its rows streamed. */
  setVisible(visible: boolean): void {
    this.visible = visible;
    if (visible) this.maybeStream();
    else this.stopResults();
  }

  /** Start `sql`; resolves with the new run's id, or null when it did not start. */
  async start(sql: string, clickedAt = performance.now()): Promise<string | null> {
    this.stopAll();
    this.cursor = null;
    this.set({ ...blank(), sql, submitting: true, startedClickAt: clickedAt });
    try {
      const data = await request(StartRunMutation, { sql });
      const payload = data.startRun;
      const findings: StartFinding[] = payload.findings
        .filter((f) => f.severity === "ERROR")
        .map((f) => ({
          code: f.code,
          message: f.message,
          suggestion: f.suggestion,
          line: f.range?.line ?? null,
          column: f.range?.column ?? null,
          start: f.range?.start ?? null,
          end: f.range?.end ?? null,
        }));
      if (!payload.run) {
        const first = payload.userErrors[0];
        this.set({
          submitting: false,
          findings,
          problem: first ? first.message : "The run did not start.",
        });
        return null;
      }
      this.set({
        submitting: false,
        runId: payload.run.id,
        status: payload.run.status,
        findings: [],
      });
      this.follow();
      return payload.run.id;
    } catch (error) {
      this.set({ submitting: false, problem: describeProblem(error) });
      return null;
    }
  }

  /** Show an existing run (a restored tab, a run from the history). */
  async attach(runId: string): Promise<void> {
    if (this.snapshot.runId === runId) {
      this.maybeStream();
      return;
    }
    this.stopAll();
    this.cursor = null;
    this.set({ ...blank(), runId });
    try {
      const data = await request(RunQueryDocument, { id: runId });
      if (this.snapshot.runId !== runId) return;
      const run = data.run;
      if (!run) {
        this.set({
          problem: "That run is not available any more (it belongs to another BU or was removed).",
        });
        return;
      }
      this.set({
        status: run.status,
        sql: run.sql,
        columns: run.columns,
        rowCount: run.rowCount,
        error: run.error,
        queuedAt: run.queuedAt,
        finishedAt: run.finishedAt,
        expiresAt: run.expiresAt,
      });
      if (!FINAL.has(run.status)) this.follow();
      else this.maybeStream();
    } catch (error) {
      this.set({ problem: describeProblem(error) });
    }
  }

  async cancel(): Promise<void> {
    const id = this.snapshot.runId;
    if (!id) return;
    try {
      const data = await request(CancelRunMutation, { id });
      const problem = data.cancelRun.userErrors[0];
      if (problem) this.set({ problem: problem.message });
      else if (data.cancelRun.run) this.applyStatus(data.cancelRun.run.status);
    } catch (error) {
      this.set({ problem: describeProblem(error) });
    }
  }

  dispose(): void {
    this.disposed = true;
    this.stopAll();
    this.listeners.clear();
  }

  private applyStatus(status: RunStatus): void {
    this.set({ status });
    if (FINAL.has(status)) {
      this.events?.stop();
      this.events = null;
      this.stopPoll();
      if (status === "COMPLETE") this.maybeStream();
    }
  }

  /** Follow the run's status: its events over the socket, or polling when the socket is full. */
  private follow(): void {
    const runId = this.snapshot.runId;
    if (!runId || this.disposed) return;
    const room = MAX_OPERATIONS - activeOperations() - (this.visible ? 1 : RESERVED);
    if (room <= 0) {
      this.pollStatus();
      return;
    }
    try {
      this.events = live({
        document: RunEventsSubscription,
        variables: () => ({ runId, after: this.cursor }),
        next: (data) => {
          const event = data.runEvents;
          this.cursor = event.cursor;
          const change: Partial<RunSnapshot> = {
            rowCount: event.rowCount ?? this.snapshot.rowCount,
            queuedAt: event.queuedAt ?? this.snapshot.queuedAt,
            finishedAt: event.finishedAt ?? this.snapshot.finishedAt,
            expiresAt: event.expiresAt ?? this.snapshot.expiresAt,
            error: event.error?.code
              ? {
                  code: event.error.code,
                  message: event.error.message ?? "",
                  cause: event.error.cause ?? null,
                  fix: event.error.fix ?? null,
                }
              : this.snapshot.error,
          };
          const columns = eventColumns(event.columns);
          if (columns.length > 0) change.columns = columns;
          this.set(change);
          this.applyStatus(event.status as RunStatus);
        },
        complete: () => {
          this.events = null;
        },
        error: (problem) => {
          this.events = null;
          this.set({ problem: problem.message });
          this.pollStatus();
        },
      });
    } catch {
      this.pollStatus();
    }
  }

  private pollStatus(): void {
    const runId = this.snapshot.runId;
    if (!runId || this.disposed || this.poll !== null) return;
    const tick = async () => {
      this.poll = null;
      try {
        const data = await request(RunQueryDocument, { id: runId });
        if (this.snapshot.runId !== runId || !data.run) return;
        const run = data.run;
        this.set({
          columns: run.columns,
          rowCount: run.rowCount,
          error: run.error,
          queuedAt: run.queuedAt,
          finishedAt: run.finishedAt,
          expiresAt: run.expiresAt,
        });
        this.applyStatus(run.status);
        if (FINAL.has(run.status)) return;
      } catch {
        // a network blip: ask again
      }
      if (!this.disposed && this.snapshot.runId === runId) this.poll = setTimeout(tick, 1_000);
    };
    this.poll = setTimeout(tick, 500);
  }

  private stopPoll(): void {
    if (this.poll !== null) clearTimeout(this.poll);
    this.poll = null;
  }

  /** Stream the rows while the tab is visible, from the rows already held. */
  private maybeStream(): void {
    const { runId, status, rows } = this.snapshot;
    if (!this.visible || !runId || status !== "COMPLETE" || rows.complete || this.results) return;
    try {
      this.results = live({
        document: RunResultsSubscription,
        variables: () => ({ runId, after: this.snapshot.rows.size, pageSize: PAGE_SIZE }),
        next: (data) => {
          const page = data.runResults;
          const buffer = this.snapshot.rows;
          try {
            buffer.accept({
              offset: page.offset,
              rows: page.rows as unknown[][],
              total: page.total,
              last: page.last,
            });
          } catch (error) {
            this.stopResults();
            this.set({
              stream: "failed",
              problem: error instanceof GapError ? error.message : "The rows could not be read.",
            });
            return;
          }
          this.set({
            rowsVersion: this.snapshot.rowsVersion + 1,
            stream: buffer.complete ? "done" : "streaming",
            rowCount: page.total,
            firstRowsAt: this.snapshot.firstRowsAt ?? performance.now(),
          });
        },
        reconnecting: () => this.set({ stream: "reconnecting" }),
        complete: () => {
          this.results = null;
          if (this.snapshot.rows.complete) this.set({ stream: "done" });
        },
        error: (problem: ApiProblem) => {
          this.results = null;
          const expired = problem.code === "EXPIRED";
          this.set({
            stream: "failed",
            status: expired ? "EXPIRED" : this.snapshot.status,
            problem: expired
              ? "These results are no longer kept. Run the query again to see its rows."
              : problem.message,
          });
        },
      });
      this.set({ stream: "streaming" });
    } catch (error) {
      this.set({ problem: describeProblem(error) });
    }
  }

  private stopResults(): void {
    this.results?.stop();
    this.results = null;
    if (this.snapshot.stream === "streaming" || this.snapshot.stream === "reconnecting") {
      this.set({ stream: "idle" });
    }
  }

  private stopAll(): void {
    this.events?.stop();
    this.events = null;
    this.stopResults();
    this.stopPoll();
  }
}
