// The editor's tabs: each its own SQL, the text it was opened from (to mark it changed), its
// current run and the runs it made. Kept in the browser per user and BU (localStorage), so a
// reload finds them; never results, which stay on the server until they expire.

export interface Tab {
  id: string;
  title: string;
  sql: string;
  /** What the tab was opened from (a query activity's SQL, "" for a new tab). */
  origin: string;
  /** The run its results panel shows. */
  runId: string | null;
  /** Runs made from this tab, newest first (ids only). */
  runs: string[];
  /** The snippet it was opened from or saved as (snippets/), and that snippet's version then. */
  snippetId?: string | null;
  snippetVersion?: number | null;
}

export interface TabsSnapshot {
  tabs: readonly Tab[];
  activeId: string;
}

export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

const VERSION = 1;
const MAX_RUNS_PER_TAB = 20;

export function storageKey(userId: string, mid: string): string {
  return `quarry.tabs.v${VERSION}.${userId}.${mid}`;
}

export function isDirty(tab: Tab): boolean {
  return tab.sql !== tab.origin;
}

let counter = 0;
function newId(): string {
  counter += 1;
  return `t${Date.now().toString(36)}${counter.toString(36)}`;
}

function blankTab(number: number): Tab {
  return { id: newId(), title: `Query ${number}`, sql: "", origin: "", runId: null, runs: [] };
}

function parse(raw: string | null): TabsSnapshot | null {
  if (!raw) return null;
  try {
    const value = JSON.parse(raw) as { v?: number; tabs?: unknown; activeId?: unknown };
    if (value.v !== VERSION || !Array.isArray(value.tabs) || value.tabs.length === 0) return null;
    const tabs: Tab[] = [];
    for (const item of value.tabs as Partial<Tab>[]) {
      if (typeof item.id !== "string" || typeof item.sql !== "string") continue;
      tabs.push({
        id: item.id,
        title: typeof item.title === "string" ? item.title : "Query",
        sql: item.sql,
        origin: typeof item.origin === "string" ? item.origin : "",
        runId: typeof item.runId === "string" ? item.runId : null,
        runs: Array.isArray(item.runs) ? item.runs.filter((r) => typeof r === "string") : [],
        snippetId: typeof item.snippetId === "string" ? item.snippetId : null,
        snippetVersion: typeof item.snippetVersion === "number" ? item.snippetVersion : null,
      });
    }
    if (tabs.length === 0) return null;
    const activeId =
      typeof value.activeId === "string" && tabs.some((t) => t.id === value.activeId)
        ? value.activeId
        : tabs[0]!.id;
    return { tabs, activeId };
  } catch {
    return null;
  }
}

/** The tabs of one user in one BU; an external store for React (useSyncExternalStore). */
export class TabsStore {
  private snapshot: TabsSnapshot;
  private readonly listeners = new Set<() => void>();
  private saveTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly key: string,
    private readonly storage: KeyValueStorage | null,
    private readonly saveDelayMs = 300,
  ) {
    const restored = parse(storage?.getItem(key) ?? null);
    if (restored) {
      this.snapshot = restored;
    } else {
      const first = blankTab(1);
      this.snapshot = { tabs: [first], activeId: first.id };
    }
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getSnapshot = (): TabsSnapshot => this.snapshot;

  active(): Tab {
    return (
      this.snapshot.tabs.find((t) => t.id === this.snapshot.activeId) ?? this.snapshot.tabs[0]!
    );
  }

  get(id: string): Tab | undefined {
    return this.snapshot.tabs.find((t) => t.id === id);
  }

  open({ title, sql, origin = sql }: { title?: string; sql?: string; origin?: string } = {}): Tab {
    const tab = { ...blankTab(this.nextNumber()), ...(title ? { title } : {}) };
    tab.sql = sql ?? "";
    tab.origin = origin ?? "";
    this.set({ tabs: [...this.snapshot.tabs, tab], activeId: tab.id });
    return tab;
  }

  close(id: string): void {
    const tabs = this.snapshot.tabs;
    const index = tabs.findIndex((t) => t.id === id);
    if (index < 0) return;
    const rest = tabs.filter((t) => t.id !== id);
    if (rest.length === 0) {
      const fresh = blankTab(1);
      this.set({ tabs: [fresh], activeId: fresh.id });
      return;
    }
    const activeId =
      this.snapshot.activeId === id
        ? rest[Math.min(index, rest.length - 1)]!.id
        : this.snapshot.activeId;
    this.set({ tabs: rest, activeId });
  }

  activate(id: string): void {
    if (id !== this.snapshot.activeId && this.get(id)) this.set({ ...this.snapshot, activeId: id });
  }

  update(id: string, change: Partial<Omit<Tab, "id">>): void {
    this.set({
      ...this.snapshot,
      tabs: this.snapshot.tabs.map((t) => (t.id === id ? { ...t, ...change } : t)),
    });
  }

  /** A run started from the tab: its results panel follows it; the history keeps it. */
  recordRun(id: string, runId: string): void {
    const tab = this.get(id);
    if (!tab) return;
    const runs = [runId, ...tab.runs.filter((r) => r !== runId)].slice(0, MAX_RUNS_PER_TAB);
    this.update(id, { runId, runs });
  }

  /** Save now (also called before the page unloads). */
  flush(): void {
    if (this.saveTimer !== null) {
      clearTimeout(this.saveTimer);
      this.saveTimer = null;
    }
    try {
      this.storage?.setItem(this.key, JSON.stringify({ v: VERSION, ...this.snapshot }));
    } catch {
      // Storage full or refused (private mode): tabs live for this page only.
    }
  }

  private nextNumber(): number {
    const numbers = this.snapshot.tabs
      .map((t) => /^Query (\d+)$/.exec(t.title)?.[1])
      .filter((n): n is string => n !== undefined)
      .map(Number);
    return numbers.length ? Math.max(...numbers) + 1 : this.snapshot.tabs.length + 1;
  }

  private set(next: TabsSnapshot): void {
    this.snapshot = next;
    for (const listener of this.listeners) listener();
    if (this.saveTimer === null) {
      this.saveTimer = setTimeout(() => this.flush(), this.saveDelayMs);
    }
  }
}
