// The snippet library panel's state: the levels of the folder tree loaded so far, which
// folders are open, the selection, the search and the trash. An external store for React
// (useSyncExternalStore); every change goes through the API first and then reloads the
// levels it touched, so the panel shows what the server holds, never a guess.
import { describeProblem } from "../api/problems";
import type {
  FolderItem,
  FolderPath,
  Level,
  LibraryApi,
  Result,
  SnippetItem,
  TrashItem,
} from "./api";

export const ROOT = "";

export type LevelState =
  | { status: "loading" }
  | { status: "ready"; level: Level }
  | { status: "error"; message: string };

export type Selection = { kind: "folder"; id: string } | { kind: "snippet"; id: string };

export interface Notice {
  kind: "error" | "info";
  text: string;
}

export interface LibrarySnapshot {
  levels: ReadonlyMap<string, LevelState>;
  expanded: ReadonlySet<string>;
  selected: Selection | null;
  search: { text: string; results: SnippetItem[] | null; problem: string | null };
  trash: { items: TrashItem[] | null; problem: string | null };
  notice: Notice | null;
}

/** What to tell people for a refused change; the API's own message otherwise (safe to show). */
export function explain(code: string, message: string): string {
  switch (code) {
    case "FOLDER_NOT_EMPTY":
      return "Only an empty folder can be deleted: move or delete its snippets and folders first.";
    case "FOLDER_CYCLE":
      return "A folder cannot move into itself or one of its own folders.";
    case "NAME_TAKEN":
      return "A folder with that name is already there.";
    case "CONFLICT":
      return "This snippet was changed since you opened it (in another tab or window).";
    case "NOT_FOUND":
      return "That is not in your library any more (deleted, or in the trash).";
    default:
      return message;
  }
}

/** The folders (depth first) without `exclude` and everything below it (a move's targets). */
export function withoutSubtree(folders: readonly FolderPath[], exclude?: string): FolderPath[] {
  const kept: FolderPath[] = [];
  let skipBelow: number | null = null;
  for (const folder of folders) {
    if (skipBelow !== null && folder.depth > skipBelow) continue;
    skipBelow = null;
    if (folder.id === exclude) {
      skipBelow = folder.depth;
      continue;
    }
    kept.push(folder);
  }
  return kept;
}

const key = (folderId: string | null) => folderId ?? ROOT;

export class LibraryStore {
  private snapshot: LibrarySnapshot = {
    levels: new Map(),
    expanded: new Set(),
    selected: null,
    search: { text: "", results: null, problem: null },
    trash: { items: null, problem: null },
    notice: null,
  };
  private readonly listeners = new Set<() => void>();
  private searchSeq = 0;

  constructor(private readonly api: LibraryApi) {}

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getSnapshot = (): LibrarySnapshot => this.snapshot;

  /** The level of `folderId` (null: the root) as loaded, if it was. */
  level(folderId: string | null): Level | null {
    const state = this.snapshot.levels.get(key(folderId));
    return state?.status === "ready" ? state.level : null;
  }

  folder(id: string): FolderItem | null {
    for (const state of this.snapshot.levels.values()) {
      if (state.status !== "ready") continue;
      const found = state.level.folders.find((f) => f.id === id);
      if (found) return found;
    }
    return null;
  }

  snippet(id: string): SnippetItem | null {
    for (const state of this.snapshot.levels.values()) {
      if (state.status !== "ready") continue;
      const found = state.level.snippets.find((s) => s.id === id);
      if (found) return found;
    }
    return this.snapshot.search.results?.find((s) => s.id === id) ?? null;
  }

  async load(folderId: string | null): Promise<void> {
    const k = key(folderId);
    if (!this.snapshot.levels.has(k)) this.setLevel(k, { status: "loading" });
    try {
      this.setLevel(k, { status: "ready", level: await this.api.level(folderId) });
    } catch (error) {
      this.setLevel(k, { status: "error", message: describeProblem(error) });
    }
  }

  /** Reload the levels already shown among `folderIds` (null: the root). */
  async refresh(...folderIds: (string | null)[]): Promise<void> {
    const wanted = new Set(folderIds.map(key));
    await Promise.all(
      [...wanted]
        .filter((k) => this.snapshot.levels.has(k))
        .map((k) => this.load(k === ROOT ? null : k)),
    );
  }

  async toggle(folderId: string, open?: boolean): Promise<void> {
    const expanded = new Set(this.snapshot.expanded);
    const want = open ?? !expanded.has(folderId);
    if (want) expanded.add(folderId);
    else expanded.delete(folderId);
    this.set({ expanded });
    if (want && !this.snapshot.levels.has(folderId)) await this.load(folderId);
  }

  select(selection: Selection | null): void {
    this.set({ selected: selection });
  }

  dismissNotice(): void {
    this.set({ notice: null });
  }

  say(notice: Notice | null): void {
    this.set({ notice });
  }

  async search(text: string): Promise<void> {
    const seq = ++this.searchSeq;
    const trimmed = text.trim();
    if (!trimmed) {
      this.set({ search: { text, results: null, problem: null } });
      return;
    }
    this.set({ search: { ...this.snapshot.search, text } });
    try {
      const results = await this.api.search(trimmed);
      if (seq === this.searchSeq) this.set({ search: { text, results, problem: null } });
    } catch (error) {
      if (seq === this.searchSeq) {
        this.set({ search: { text, results: [], problem: describeProblem(error) } });
      }
    }
  }

  async loadTrash(): Promise<void> {
    try {
      this.set({ trash: { items: await this.api.trash(), problem: null } });
    } catch (error) {
      this.set({ trash: { items: this.snapshot.trash.items, problem: describeProblem(error) } });
    }
  }

  // Folders ------------------------------------------------------------------------------

  async createFolder(name: string, parentId: string | null): Promise<Result<FolderItem>> {
    return this.change(
      () => this.api.createFolder(name, parentId),
      async (folder) => {
        if (parentId) await this.toggle(parentId, true);
        await this.refresh(parentId);
        this.set({ selected: { kind: "folder", id: folder.id } });
      },
    );
  }

  async renameFolder(id: string, name: string): Promise<Result<FolderItem>> {
    return this.change(
      () => this.api.renameFolder(id, name),
      (folder) => this.refresh(folder.parentId),
    );
  }

  async moveFolder(id: string, parentId: string | null): Promise<Result<FolderItem>> {
    const before = this.folder(id)?.parentId ?? null;
    return this.change(
      () => this.api.moveFolder(id, parentId),
      async () => {
        this.dropFromLevel(before, "folder", id);
        if (parentId) await this.toggle(parentId, true);
        await this.refresh(before, parentId);
      },
    );
  }

  async deleteFolder(id: string): Promise<Result<FolderItem>> {
    const parent = this.folder(id)?.parentId ?? null;
    return this.change(
      () => this.api.deleteFolder(id),
      async () => {
        const expanded = new Set(this.snapshot.expanded);
        expanded.delete(id);
        const levels = new Map(this.snapshot.levels);
        levels.delete(id);
        this.set({ expanded, levels, selected: null });
        await this.refresh(parent);
      },
    );
  }

  // Snippets -----------------------------------------------------------------------------

  async renameSnippet(
    id: string,
    title: string,
    expectedVersion: number | null,
  ): Promise<Result<SnippetItem>> {
    return this.change(
      () => this.api.renameSnippet(id, title, expectedVersion),
      (snippet) => this.refresh(snippet.folderId),
    );
  }

  async moveSnippet(id: string, folderId: string | null): Promise<Result<{ id: string }>> {
    const before = this.snippet(id)?.folderId ?? null;
    return this.change(
      () => this.api.moveSnippet(id, folderId),
      async () => {
        this.dropFromLevel(before, "snippet", id);
        if (folderId) await this.toggle(folderId, true);
        await this.refresh(before, folderId);
      },
    );
  }

  async duplicateSnippet(id: string): Promise<Result<SnippetItem>> {
    return this.change(
      () => this.api.duplicateSnippet(id),
      async (copy) => {
        await this.refresh(copy.folderId);
        this.set({ selected: { kind: "snippet", id: copy.id } });
      },
    );
  }

  async deleteSnippet(id: string): Promise<Result<{ id: string; title: string }>> {
    const folderId = this.snippet(id)?.folderId ?? null;
    return this.change(
      () => this.api.deleteSnippet(id),
      async () => {
        if (this.snapshot.selected?.id === id) this.set({ selected: null });
        await Promise.all([this.refresh(folderId), this.afterTrashChange()]);
      },
    );
  }

  async restoreSnippet(id: string): Promise<Result<{ id: string; folderId: string | null }>> {
    return this.change(
      () => this.api.restoreSnippet(id),
      async (snippet) => {
        await Promise.all([this.refresh(snippet.folderId), this.afterTrashChange()]);
        this.set({ selected: { kind: "snippet", id: snippet.id } });
      },
    );
  }

  private async afterTrashChange(): Promise<void> {
    if (this.snapshot.trash.items !== null) await this.loadTrash();
    if (this.snapshot.search.text.trim()) await this.search(this.snapshot.search.text);
  }

  /** Run a change; on success apply `then`; a refusal or failure becomes the notice. */
  private async change<T>(
    call: () => Promise<Result<T>>,
    then: (value: T) => Promise<void> | void,
  ): Promise<Result<T>> {
    let result: Result<T>;
    try {
      result = await call();
    } catch (error) {
      result = { ok: false, code: "FAILED", message: describeProblem(error), field: null };
    }
    if (result.ok) {
      this.set({ notice: null });
      await then(result.value);
    } else {
      this.set({ notice: { kind: "error", text: explain(result.code, result.message) } });
    }
    return result;
  }

  /** Take an item off the level it left at once (the reload follows): never shown twice. */
  private dropFromLevel(folderId: string | null, kind: Selection["kind"], id: string): void {
    const state = this.snapshot.levels.get(key(folderId));
    if (state?.status !== "ready") return;
    const level =
      kind === "folder"
        ? { ...state.level, folders: state.level.folders.filter((f) => f.id !== id) }
        : { ...state.level, snippets: state.level.snippets.filter((s) => s.id !== id) };
    this.setLevel(key(folderId), { status: "ready", level });
  }

  private setLevel(k: string, state: LevelState): void {
    const levels = new Map(this.snapshot.levels);
    levels.set(k, state);
    this.set({ levels });
  }

  private set(change: Partial<LibrarySnapshot>): void {
    this.snapshot = { ...this.snapshot, ...change };
    for (const listener of this.listeners) listener();
  }
}
