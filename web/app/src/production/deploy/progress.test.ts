import { describe, expect, it } from "vitest";
import { applyProgress, initialProgress, type ProgressEvent } from "./progress";

let n = 0;
function event(
  kind: "BU" | "DEPLOYMENT",
  status: string,
  extra: Partial<ProgressEvent> = {},
): ProgressEvent {
  n += 1;
  return {
    cursor: `${n}-0`,
    kind,
    mid: null,
    step: null,
    status,
    message: null,
    code: null,
    final: false,
    attempt: 1,
    objectId: null,
    created: null,
    changes: null,
    at: "2025-01-01T00:00:00Z",
    ...extra,
  };
}

describe("deployment progress", () => {
  it("follows each BU's steps to its outcome, then a retry of the one that failed", () => {
    const events = [
      event("DEPLOYMENT", "RUNNING"),
      event("BU", "STARTED", { mid: "1", step: "FOLDER" }),
      event("BU", "SUCCEEDED", { mid: "1", step: "FOLDER", objectId: "9", created: false }),
      event("BU", "STARTED", { mid: "2", step: "FOLDER" }),
      event("BU", "SUCCEEDED", { mid: "1", step: "ACTIVITY", objectId: "qd-1", created: true }),
      event("BU", "FAILED", {
        mid: "2",
        step: "ACTIVITY",
        message: "MCE said no",
        code: "MCE_UNAVAILABLE",
      }),
      event("BU", "SUCCEEDED", { mid: "1", step: "DONE" }),
      event("BU", "FAILED", { mid: "2", step: "DONE", message: "MCE said no" }),
      event("DEPLOYMENT", "PARTIAL", { final: true }),
    ];
    let state = initialProgress(["1", "2", "3"]);
    for (const e of events) state = applyProgress(state, e);
    expect([state.status, state.final, state.cursor]).toEqual([
      "PARTIAL",
      true,
      events.at(-1)!.cursor,
    ]);
    expect(state.units.map((u) => [u.mid, u.status, u.step])).toEqual([
      ["1", "SUCCEEDED", "DONE"],
      ["2", "FAILED", "DONE"],
      ["3", "PENDING", null],
    ]);
    expect(state.units[0]!.steps.map((s) => [s.step, s.status, s.objectId])).toEqual([
      ["FOLDER", "SUCCEEDED", "9"],
      ["ACTIVITY", "SUCCEEDED", "qd-1"],
    ]);
    expect(state.units[1]!).toMatchObject({ message: "MCE said no", code: "MCE_UNAVAILABLE" });

    for (const e of [
      event("DEPLOYMENT", "RUNNING", { attempt: 2 }),
      event("BU", "SKIPPED", { mid: "1", step: "DONE", attempt: 2 }),
      event("BU", "STARTED", { mid: "2", step: "FOLDER", attempt: 2 }),
    ]) {
      state = applyProgress(state, e);
    }
    expect(state.final).toBe(false);
    expect(state.units.map((u) => u.status)).toEqual(["SKIPPED", "RUNNING", "PENDING"]);
    expect(state.units[1]!.steps.map((s) => s.step)).toEqual(["FOLDER"]); // the retry starts afresh
  });

  it("takes BUs it was not told of, and drift as the BU's state", () => {
    let state = initialProgress([]);
    state = applyProgress(
      state,
      event("BU", "DRIFTED", { mid: "7", step: "ACTIVITY", changes: ["sql"] }),
    );
    expect(state.units.map((u) => [u.mid, u.status])).toEqual([["7", "DRIFTED"]]);
  });
});
