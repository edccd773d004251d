// How the editor's tabs and the library's snippets meet: which tab shows a snippet, what a
// save sends, and what a saved, renamed or restored snippet changes in its tabs. Plain
// functions over tabs/store.ts's Tab, so each rule has a unit test.
import { isDirty, type Tab } from "../tabs/store";

export type SavePlan =
  | { kind: "update"; id: string; sql: string; expectedVersion: number | null }
  | { kind: "create"; sql: string; title: string }
  | { kind: "unchanged" };

/** What saving a tab does: a new version of its snippet, or a new snippet. */
export function planSave(tab: Tab): SavePlan {
  if (!tab.snippetId) return { kind: "create", sql: tab.sql, title: suggestedTitle(tab) };
  if (!isDirty(tab)) return { kind: "unchanged" };
  return {
    kind: "update",
    id: tab.snippetId,
    sql: tab.sql,
    expectedVersion: tab.snippetVersion ?? null,
  };
}

/** A title for a new snippet: the tab's own unless it is a default "Query N". */
export function suggestedTitle(tab: Pick<Tab, "title" | "sql">): string {
  if (!/^Query \d+$/.test(tab.title)) return tab.title;
  const firstLine = tab.sql
    .split(/\r?\n/)
    .map((line) => line.trim())
    .find((line) => line && !line.startsWith("--"));
  return firstLine ? firstLine.slice(0, 60) : tab.title;
}

export interface SavedSnippet {
  id: string;
  title: string;
  version: number;
}

/** The tab after `sql` was saved as `snippet`: no longer changed, at the snippet's version. */
export function afterSave(snippet: SavedSnippet, sql: string): Partial<Tab> {
  return {
    snippetId: snippet.id,
    snippetVersion: snippet.version,
    title: snippet.title,
    origin: sql,
  };
}

/** The tabs showing a snippet. */
export function tabsOf(tabs: readonly Tab[], snippetId: string): Tab[] {
  return tabs.filter((tab) => tab.snippetId === snippetId);
}

/**
 * A snippet renamed from the library: its tabs take the new title; a tab that held the version
 * just before the rename holds the new one (a rename is a version of its own and changes no
 * SQL), so its next save does not conflict with the rename.
 */
export function afterRename(tab: Tab, snippet: SavedSnippet): Partial<Tab> {
  const change: Partial<Tab> = { title: snippet.title };
  if (tab.snippetVersion === snippet.version - 1) change.snippetVersion = snippet.version;
  return change;
}

/**
 * What a restored version means for a tab showing the snippet: a tab without changes shows
 * the restored SQL ("replace"); one with changes keeps them ("keep") and will be told of the
 * conflict when it saves.
 */
export function onRestore(tab: Tab): "replace" | "keep" {
  return isDirty(tab) ? "keep" : "replace";
}

/** A tab nobody used yet: opening a snippet may take its place. */
export function isUntouched(tab: Tab): boolean {
  return (
    tab.sql === "" &&
    tab.origin === "" &&
    !tab.snippetId &&
    tab.runId === null &&
    tab.runs.length === 0
  );
}
