import { describe, expect, it } from "vitest";
import { type KeyValueStorage, TabsStore } from "../tabs/store";
import {
  afterRename,
  afterSave,
  isUntouched,
  onRestore,
  planSave,
  suggestedTitle,
  tabsOf,
} from "./tabSnippets";

function memory(): KeyValueStorage {
  const data = new Map<string, string>();
  return { getItem: (k) => data.get(k) ?? null, setItem: (k, v) => void data.set(k, v) };
}

describe("tabs and snippets", () => {
  it("save a new tab as a snippet, then as new versions of it", () => {
    const store = new TabsStore("k", memory());
    const tab = store.active();
    store.update(tab.id, { sql: "SELECT 1" });
    expect(planSave(store.get(tab.id)!)).toEqual({
      kind: "create",
      sql: "SELECT 1",
      title: "SELECT 1",
    });
    store.update(tab.id, afterSave({ id: "s1", title: "One", version: 1 }, "SELECT 1"));
    expect(store.get(tab.id)).toMatchObject({ title: "One", snippetId: "s1", snippetVersion: 1 });
    expect(planSave(store.get(tab.id)!)).toEqual({ kind: "unchanged" });
    store.update(tab.id, { sql: "SELECT 2" });
    expect(planSave(store.get(tab.id)!)).toEqual({
      kind: "update",
      id: "s1",
      sql: "SELECT 2",
      expectedVersion: 1,
    });
  });

  it("keep the snippet and its version across a reload", () => {
    const storage = memory();
    const store = new TabsStore("k", storage);
    const tab = store.open({ title: "Weekly", sql: "SELECT 3" });
    store.update(tab.id, { snippetId: "s9", snippetVersion: 4 });
    store.flush();
    expect(new TabsStore("k", storage).get(tab.id)).toMatchObject({
      snippetId: "s9",
      snippetVersion: 4,
      sql: "SELECT 3",
    });
  });

  it("suggest a title from the SQL for a default tab name only", () => {
    expect(suggestedTitle({ title: "Query 3", sql: "-- note\n\n  SELECT a FROM b" })).toBe(
      "SELECT a FROM b",
    );
    expect(suggestedTitle({ title: "Query 3", sql: "" })).toBe("Query 3");
    expect(suggestedTitle({ title: "Openers", sql: "SELECT 1" })).toBe("Openers");
  });

  it("follow a rename only from the version just before it", () => {
    const base = new TabsStore("k", memory()).active();
    const current = { ...base, snippetId: "s1", snippetVersion: 2 };
    expect(afterRename(current, { id: "s1", title: "New", version: 3 })).toEqual({
      title: "New",
      snippetVersion: 3,
    });
    const stale = { ...base, snippetId: "s1", snippetVersion: 1 };
    expect(afterRename(stale, { id: "s1", title: "New", version: 3 })).toEqual({ title: "New" });
  });

  it("replace a restored snippet's text only in tabs without changes", () => {
    const base = new TabsStore("k", memory()).active();
    expect(onRestore({ ...base, sql: "a", origin: "a" })).toBe("replace");
    expect(onRestore({ ...base, sql: "b", origin: "a" })).toBe("keep");
  });

  it("find a snippet's tabs and tell an untouched tab", () => {
    const store = new TabsStore("k", memory());
    const first = store.active();
    expect(isUntouched(first)).toBe(true);
    const opened = store.open({ title: "x", sql: "SELECT 1" });
    store.update(opened.id, { snippetId: "s1" });
    expect(tabsOf(store.getSnapshot().tabs, "s1").map((t) => t.id)).toEqual([opened.id]);
    expect(isUntouched(store.get(opened.id)!)).toBe(false);
  });
});
