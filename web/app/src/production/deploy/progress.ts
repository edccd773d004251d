// A deployment's progress, folded from deploymentProgress events: the deployment's status
// and, per BU, the step it is at and how its steps went.
import type { DeploymentProgressSubscription } from "../../gql/graphql";

export type ProgressEvent = DeploymentProgressSubscription["deploymentProgress"];

export const STEPS = ["FOLDER", "TARGET", "VALIDATE", "ACTIVITY", "AUTOMATION", "DONE"] as const;

export interface StepState {
  step: string;
  status: string;
  message: string | null;
  objectId: string | null;
  created: boolean | null;
}

export interface BuProgress {
  mid: string;
  /** PENDING until its first event, then RUNNING, and its outcome at DONE. */
  status: string;
  step: string | null;
  attempt: number | null;
  message: string | null;
  code: string | null;
  steps: StepState[];
}

export interface ProgressState {
  status: string;
  final: boolean;
  cursor: string | null;
  attempt: number | null;
  units: BuProgress[];
}

export function initialProgress(mids: readonly string[], status = "PENDING"): ProgressState {
  return {
    status,
    final: false,
    cursor: null,
    attempt: null,
    units: mids.map((mid) => ({
      mid,
      status: "PENDING",
      step: null,
      attempt: null,
      message: null,
      code: null,
      steps: [],
    })),
  };
}

function unitAfter(unit: BuProgress, event: ProgressEvent, newAttempt: boolean): BuProgress {
  const step = event.step ?? unit.step;
  const steps = newAttempt ? [] : unit.steps.filter((s) => s.step !== event.step);
  if (event.step && event.step !== "DONE") {
    steps.push({
      step: event.step,
      status: event.status,
      message: event.message,
      objectId: event.objectId,
      created: event.created,
    });
  }
  let status = unit.status;
  if (event.step === "DONE") status = event.status;
  else if (event.status === "FAILED" || event.status === "DRIFTED") status = event.status;
  else status = "RUNNING";
  return {
    ...unit,
    status,
    step,
    attempt: event.attempt ?? unit.attempt,
    message: event.message ?? (event.step === "DONE" ? unit.message : null),
    code: event.code ?? unit.code,
    steps,
  };
}

/** The state after one event (events are applied in stream order, each once). */
export function applyProgress(state: ProgressState, event: ProgressEvent): ProgressState {
  const next: ProgressState = { ...state, cursor: event.cursor };
  if (event.kind === "DEPLOYMENT") {
    next.status = event.status;
    next.final = event.final;
    if (event.attempt !== null && event.attempt !== state.attempt) next.attempt = event.attempt;
    return next;
  }
  if (event.kind !== "BU" || event.mid === null) return next;
  const mid = event.mid;
  const units = state.units.some((u) => u.mid === mid)
    ? state.units
    : [
        ...state.units,
        { mid, status: "PENDING", step: null, attempt: null, message: null, code: null, steps: [] },
      ];
  next.final = false;
  next.units = units.map((u) => {
    if (u.mid !== mid) return u;
    const newAttempt = event.attempt !== null && u.attempt !== null && event.attempt !== u.attempt;
    return unitAfter(u, event, newAttempt);
  });
  return next;
}

/** Words for a BU's status. */
export function statusText(status: string): string {
  switch (status) {
    case "PENDING":
      return "waiting";
    case "RUNNING":
    case "STARTED":
      return "deploying";
    case "SUCCEEDED":
      return "deployed";
    case "FAILED":
      return "failed";
    case "DRIFTED":
      return "changed in Marketing Cloud";
    case "SKIPPED":
      return "already deployed";
    case "PARTIAL":
      return "partly deployed";
    default:
      return status.toLowerCase();
  }
}
