// Following a probe: its run's events (runEvents) carry the probe's status, and on the
// COMPLETE event its report. Resumes from the last cursor after a dropped socket.
import { describeProblem } from "../../api/problems";
import { type Live, live } from "../../api/ws";
import type { ProbeEventsSubscription as ProbeEventsData } from "../../gql/graphql";
import { ProbeEventsSubscription } from "./operations";

export type ProbeEvent = ProbeEventsData["runEvents"];
export type ProbeReport = NonNullable<NonNullable<ProbeEvent["probe"]>["report"]>;

export interface ProbeState {
  runId: string;
  /** The run's status (QUEUED ... COMPLETE). */
  runStatus: string;
  /** The probe's own status (RUNNING, MEASURED, FAILED, EXPIRED, UNAVAILABLE). */
  probeStatus: string;
  report: ProbeReport | null;
  message: string | null;
  queuedAt: string | null;
  finishedAt: string | null;
  problem: string | null;
  done: boolean;
}

export function initialProbe(runId: string): ProbeState {
  return {
    runId,
    runStatus: "QUEUED",
    probeStatus: "RUNNING",
    report: null,
    message: null,
    queuedAt: null,
    finishedAt: null,
    problem: null,
    done: false,
  };
}

const FINAL = new Set(["COMPLETE", "FAILED", "CANCELED", "EXPIRED"]);

/** The state after one event. */
export function applyProbeEvent(state: ProbeState, event: ProbeEvent): ProbeState {
  const probe = event.probe;
  return {
    ...state,
    runStatus: event.status,
    probeStatus: probe?.status ?? state.probeStatus,
    report: probe?.report ?? state.report,
    message: probe?.message ?? event.error?.message ?? state.message,
    queuedAt: event.queuedAt ?? state.queuedAt,
    finishedAt: event.finishedAt ?? state.finishedAt,
    done: FINAL.has(event.status),
  };
}

/** Follow the probe run `runId`; `update` gets each new state. Stop with the result. */
export function followProbe(
  runId: string,
  update: (change: (s: ProbeState) => ProbeState) => void,
): Live {
  let cursor: string | null = null;
  return live({
    document: ProbeEventsSubscription,
    variables: () => ({ runId, after: cursor }),
    next: (data) => {
      cursor = data.runEvents.cursor;
      update((s) => applyProbeEvent(s, data.runEvents));
    },
    error: (problem) => update((s) => ({ ...s, problem: describeProblem(problem), done: true })),
  });
}
