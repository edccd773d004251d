import { describe, expect, it } from "vitest";
import { isDirty, type KeyValueStorage, storageKey, TabsStore } from "./store";

function memory(): KeyValueStorage & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return {
    data,
    getItem: (key) => data.get(key) ?? null,
    setItem: (key, value) => void data.set(key, value),
  };
}

describe("tabs", () => {
  it("start with one blank tab and are restored per user and BU", () => {
    const storage = memory();
    const key = storageKey("u1", "100");
    const store = new TabsStore(key, storage);
    expect(store.getSnapshot().tabs).toHaveLength(1);
    const second = store.open({ title: "Openers", sql: "SELECT 1" });
    store.update(second.id, { sql: "SELECT 2" });
    store.recordRun(second.id, "run-a");
    store.flush();
    const again = new TabsStore(key, storage);
    const restored = again.getSnapshot();
    expect(restored.tabs.map((t) => t.title)).toEqual(["Query 1", "Openers"]);
    expect(restored.activeId).toBe(second.id);
    expect(again.get(second.id)).toMatchObject({
      sql: "SELECT 2",
      runId: "run-a",
      runs: ["run-a"],
    });
    // Another BU of the same user has its own tabs.
    expect(new TabsStore(storageKey("u1", "200"), storage).getSnapshot().tabs).toHaveLength(1);
  });

  it("are marked dirty when they differ from what they were opened from", () => {
    const store = new TabsStore("k", memory());
    const tab = store.open({ title: "QA", sql: "SELECT a FROM b" });
    expect(isDirty(store.get(tab.id)!)).toBe(false);
    store.update(tab.id, { sql: "SELECT a FROM c" });
    expect(isDirty(store.get(tab.id)!)).toBe(true);
    store.update(tab.id, { sql: "SELECT a FROM b" });
    expect(isDirty(store.get(tab.id)!)).toBe(false);
  });

  it("closing the active tab activates its neighbour; closing the last leaves a blank one", () => {
    const store = new TabsStore("k", memory());
    const first = store.active();
    const second = store.open();
    const third = store.open();
    store.activate(second.id);
    store.close(second.id);
    expect(store.active().id).toBe(third.id);
    store.close(third.id);
    store.close(first.id);
    expect(store.getSnapshot().tabs).toHaveLength(1);
    expect(store.active().sql).toBe("");
  });

  it("ignore storage that is corrupt or of another version", () => {
    const storage = memory();
    storage.setItem("k", "{not json");
    expect(new TabsStore("k", storage).getSnapshot().tabs).toHaveLength(1);
    storage.setItem("k", JSON.stringify({ v: 99, tabs: [{ id: "x", sql: "s" }] }));
    expect(new TabsStore("k", storage).active().id).not.toBe("x");
  });
});
