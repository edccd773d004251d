import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Toaster } from "./toasts";

describe("toasts", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("go by themselves, a note with an action later than one without", () => {
    const toaster = new Toaster();
    toaster.show("Saved.");
    toaster.show("Deleted.", { label: "Undo", run: () => undefined });
    vi.advanceTimersByTime(5_000);
    expect(toaster.getSnapshot().map((t) => t.text)).toEqual(["Deleted."]);
    vi.advanceTimersByTime(5_000);
    expect(toaster.getSnapshot()).toEqual([]);
  });

  it("run an action once and go; keep the newest three", () => {
    const toaster = new Toaster();
    const run = vi.fn();
    const id = toaster.show("Deleted.", { label: "Undo", run });
    toaster.act(id);
    toaster.act(id);
    expect(run).toHaveBeenCalledTimes(1);
    for (const n of [1, 2, 3, 4]) toaster.show(`note ${n}`);
    expect(toaster.getSnapshot().map((t) => t.text)).toEqual(["note 2", "note 3", "note 4"]);
  });
});
