import { describe, expect, it } from "vitest";
import { ApiProblem } from "../api/problems";
import type { FolderItem, LibraryApi, Result, SnippetItem, TrashItem } from "./api";
import { explain, LibraryStore, withoutSubtree } from "./library";
import { visibleRows } from "./Tree";

/** A small library kept in memory, refusing what docs/snippets.md says the API refuses. */
class MemoryLibrary implements LibraryApi {
  folders = new Map<string, FolderItem>();
  snippets = new Map<string, SnippetItem & { deleted: boolean }>();
  calls: string[] = [];
  offline = false;
  private next = 0;

  private id(prefix: string) {
    this.next += 1;
    return `${prefix}${this.next}`;
  }
  private refuse<T>(code: string, message = code): Result<T> {
    return { ok: false, code, message, field: null };
  }
  addSnippet(title: string, folderId: string | null = null): SnippetItem {
    const snippet = {
      id: this.id("s"),
      title,
      folderId,
      version: 1,
      updatedAt: "2025-01-01T00:00:00Z",
      deleted: false,
    };
    this.snippets.set(snippet.id, snippet);
    return snippet;
  }
  async level(folderId: string | null) {
    this.calls.push(`level:${folderId ?? "root"}`);
    if (this.offline) throw new ApiProblem("network", "offline");
    return {
      folders: [...this.folders.values()].filter((f) => f.parentId === folderId),
      snippets: [...this.snippets.values()].filter((s) => s.folderId === folderId && !s.deleted),
    };
  }
  async search(text: string) {
    return [...this.snippets.values()].filter((s) => !s.deleted && s.title.includes(text));
  }
  async trash(): Promise<TrashItem[]> {
    return [...this.snippets.values()]
      .filter((s) => s.deleted)
      .map((s) => ({ id: s.id, title: s.title, deletedAt: "d", purgeAt: "p" }));
  }
  async createFolder(name: string, parentId: string | null) {
    const siblings = [...this.folders.values()].filter((f) => f.parentId === parentId);
    if (siblings.some((f) => f.name.toLowerCase() === name.toLowerCase())) {
      return this.refuse<FolderItem>("NAME_TAKEN");
    }
    const folder = { id: this.id("f"), name, parentId };
    this.folders.set(folder.id, folder);
    return { ok: true as const, value: folder };
  }
  async renameFolder(id: string, name: string) {
    const folder = this.folders.get(id);
    if (!folder) return this.refuse<FolderItem>("NOT_FOUND");
    folder.name = name;
    return { ok: true as const, value: { ...folder } };
  }
  async moveFolder(id: string, parentId: string | null) {
    const folder = this.folders.get(id);
    if (!folder) return this.refuse<FolderItem>("NOT_FOUND");
    for (let at = parentId; at !== null; at = this.folders.get(at)?.parentId ?? null) {
      if (at === id) return this.refuse<FolderItem>("FOLDER_CYCLE");
    }
    folder.parentId = parentId;
    return { ok: true as const, value: { ...folder } };
  }
  async deleteFolder(id: string) {
    const folder = this.folders.get(id);
    if (!folder) return this.refuse<FolderItem>("NOT_FOUND");
    const busy =
      [...this.folders.values()].some((f) => f.parentId === id) ||
      [...this.snippets.values()].some((s) => s.folderId === id && !s.deleted);
    if (busy) return this.refuse<FolderItem>("FOLDER_NOT_EMPTY", "The folder is not empty.");
    this.folders.delete(id);
    return { ok: true as const, value: folder };
  }
  async renameSnippet(id: string, title: string, expectedVersion: number | null) {
    const snippet = this.snippets.get(id);
    if (!snippet || snippet.deleted) return this.refuse<SnippetItem>("NOT_FOUND");
    if (expectedVersion !== null && expectedVersion !== snippet.version) {
      return this.refuse<SnippetItem>("CONFLICT");
    }
    snippet.title = title;
    snippet.version += 1;
    return { ok: true as const, value: { ...snippet } };
  }
  async moveSnippet(id: string, folderId: string | null) {
    const snippet = this.snippets.get(id);
    if (!snippet) return this.refuse<{ id: string }>("NOT_FOUND");
    snippet.folderId = folderId;
    return { ok: true as const, value: { id } };
  }
  async duplicateSnippet(id: string) {
    const snippet = this.snippets.get(id)!;
    return {
      ok: true as const,
      value: this.addSnippet(`${snippet.title} (copy)`, snippet.folderId),
    };
  }
  async deleteSnippet(id: string) {
    const snippet = this.snippets.get(id)!;
    snippet.deleted = true;
    return { ok: true as const, value: { id, title: snippet.title } };
  }
  async restoreSnippet(id: string) {
    const snippet = this.snippets.get(id)!;
    snippet.deleted = false;
    if (snippet.folderId && !this.folders.has(snippet.folderId)) snippet.folderId = null;
    return { ok: true as const, value: { id, folderId: snippet.folderId } };
  }
}

const titles = (store: LibraryStore, folderId: string | null) =>
  store.level(folderId)?.snippets.map((s) => s.title);
const names = (store: LibraryStore, folderId: string | null) =>
  store.level(folderId)?.folders.map((f) => f.name);

describe("the snippet library store", () => {
  it("loads levels lazily and opens folders on demand", async () => {
    const api = new MemoryLibrary();
    const store = new LibraryStore(api);
    const made = await api.createFolder("Reports", null);
    if (!made.ok) throw new Error("setup");
    api.addSnippet("Top", null);
    api.addSnippet("Inside", made.value.id);
    await store.load(null);
    expect(names(store, null)).toEqual(["Reports"]);
    expect(titles(store, null)).toEqual(["Top"]);
    expect(store.level(made.value.id)).toBeNull();
    await store.toggle(made.value.id);
    expect(store.getSnapshot().expanded.has(made.value.id)).toBe(true);
    expect(titles(store, made.value.id)).toEqual(["Inside"]);
    await store.toggle(made.value.id);
    expect(store.getSnapshot().expanded.has(made.value.id)).toBe(false);
    expect(api.calls.filter((c) => c.startsWith("level:f"))).toHaveLength(1); // loaded once
  });

  it("creates, renames and moves folders, reloading the levels they left and entered", async () => {
    const api = new MemoryLibrary();
    const store = new LibraryStore(api);
    await store.load(null);
    const a = await store.createFolder("A", null);
    const b = await store.createFolder("B", null);
    if (!a.ok || !b.ok) throw new Error("created");
    expect(names(store, null)).toEqual(["A", "B"]);
    expect(store.getSnapshot().selected).toEqual({ kind: "folder", id: b.value.id });
    expect((await store.createFolder("a", null)).ok).toBe(false);
    expect(store.getSnapshot().notice?.text).toBe(explain("NAME_TAKEN", ""));

    await store.renameFolder(a.value.id, "Alpha");
    expect(names(store, null)).toEqual(["Alpha", "B"]);
    expect((await store.moveFolder(b.value.id, a.value.id)).ok).toBe(true);
    expect(names(store, null)).toEqual(["Alpha"]);
    expect(store.getSnapshot().expanded.has(a.value.id)).toBe(true);
    expect(names(store, a.value.id)).toEqual(["B"]);

    // Into its own sub-folder: refused, nothing moves, and the panel says why.
    const moved = await store.moveFolder(a.value.id, b.value.id);
    expect(moved.ok).toBe(false);
    expect(store.getSnapshot().notice).toEqual({
      kind: "error",
      text: explain("FOLDER_CYCLE", ""),
    });
    expect(names(store, null)).toEqual(["Alpha"]);
  });

  it("refuses to delete a folder that is not empty, and says so", async () => {
    const api = new MemoryLibrary();
    const store = new LibraryStore(api);
    const folder = await api.createFolder("Full", null);
    if (!folder.ok) throw new Error("setup");
    const inside = api.addSnippet("Kept", folder.value.id);
    await store.load(null);
    const refused = await store.deleteFolder(folder.value.id);
    expect(refused).toMatchObject({ ok: false, code: "FOLDER_NOT_EMPTY" });
    expect(store.getSnapshot().notice?.text).toMatch(/Only an empty folder can be deleted/);
    expect(names(store, null)).toEqual(["Full"]);

    await store.moveSnippet(inside.id, null);
    expect(titles(store, null)).toEqual(["Kept"]);
    expect((await store.deleteFolder(folder.value.id)).ok).toBe(true);
    expect(names(store, null)).toEqual([]);
    expect(store.getSnapshot().notice).toBeNull();
  });

  it("deletes into the trash and restores from it", async () => {
    const api = new MemoryLibrary();
    const store = new LibraryStore(api);
    const snippet = api.addSnippet("Weekly");
    await store.load(null);
    await store.loadTrash();
    expect(store.getSnapshot().trash.items).toEqual([]);
    await store.deleteSnippet(snippet.id);
    expect(titles(store, null)).toEqual([]);
    expect(store.getSnapshot().trash.items?.map((t) => t.title)).toEqual(["Weekly"]);
    await store.restoreSnippet(snippet.id);
    expect(titles(store, null)).toEqual(["Weekly"]);
    expect(store.getSnapshot().trash.items).toEqual([]);
    expect(store.getSnapshot().selected).toEqual({ kind: "snippet", id: snippet.id });
  });

  it("renames with the version it knew, duplicates beside the original", async () => {
    const api = new MemoryLibrary();
    const store = new LibraryStore(api);
    const snippet = api.addSnippet("Old");
    await store.load(null);
    const stale = await store.renameSnippet(snippet.id, "New", 7);
    expect(stale).toMatchObject({ ok: false, code: "CONFLICT" });
    const renamed = await store.renameSnippet(snippet.id, "New", 1);
    expect(renamed).toMatchObject({ ok: true, value: { title: "New", version: 2 } });
    await store.duplicateSnippet(snippet.id);
    expect(titles(store, null)).toEqual(["New", "New (copy)"]);
  });

  it("keeps only the latest search's answer and clears with an empty search", async () => {
    const api = new MemoryLibrary();
    api.addSnippet("orders by day");
    api.addSnippet("open rates");
    const store = new LibraryStore(api);
    const first = store.search("o");
    const second = store.search("orders");
    await Promise.all([first, second]);
    expect(store.getSnapshot().search.results?.map((s) => s.title)).toEqual(["orders by day"]);
    await store.search("  ");
    expect(store.getSnapshot().search.results).toBeNull();
  });

  it("shows a level that could not load with why", async () => {
    const api = new MemoryLibrary();
    api.offline = true;
    const store = new LibraryStore(api);
    await store.load(null);
    expect(store.getSnapshot().levels.get("")).toEqual({ status: "error", message: "offline" });
  });
});

describe("moving a snippet into a folder", () => {
  it("takes it off the level it left", async () => {
    const api = new MemoryLibrary();
    const store = new LibraryStore(api);
    const folder = await api.createFolder("Into", null);
    if (!folder.ok) throw new Error("setup");
    const snippet = api.addSnippet("Mover");
    await store.load(null);
    expect(titles(store, null)).toEqual(["Mover"]);
    expect((await store.moveSnippet(snippet.id, folder.value.id)).ok).toBe(true);
    expect(titles(store, null)).toEqual([]);
    expect(titles(store, folder.value.id)).toEqual(["Mover"]);
  });
});

describe("move targets", () => {
  it("leave out the folder being moved and everything below it", () => {
    const folders = [
      { id: "a", path: "A", depth: 0 },
      { id: "b", path: "A / B", depth: 1 },
      { id: "c", path: "A / B / C", depth: 2 },
      { id: "d", path: "A / D", depth: 1 },
      { id: "e", path: "E", depth: 0 },
    ];
    expect(withoutSubtree(folders, "b").map((f) => f.id)).toEqual(["a", "d", "e"]);
    expect(withoutSubtree(folders, "a").map((f) => f.id)).toEqual(["e"]);
    expect(withoutSubtree(folders).map((f) => f.id)).toEqual(["a", "b", "c", "d", "e"]);
  });
});

describe("the tree's rows", () => {
  it("list open folders' items after them, one level deeper", async () => {
    const api = new MemoryLibrary();
    const store = new LibraryStore(api);
    const outer = await api.createFolder("Outer", null);
    if (!outer.ok) throw new Error("setup");
    const inner = await api.createFolder("Inner", outer.value.id);
    if (!inner.ok) throw new Error("setup");
    api.addSnippet("Deep", inner.value.id);
    api.addSnippet("Top", null);
    await store.load(null);
    const shape = () =>
      visibleRows(store.getSnapshot()).map((r) =>
        r.kind === "folder" ? `${r.level}:${r.folder.name}` : `${r.level}:${r.snippet.title}`,
      );
    expect(shape()).toEqual(["1:Outer", "1:Top"]);
    await store.toggle(outer.value.id, true);
    await store.toggle(inner.value.id, true);
    expect(shape()).toEqual(["1:Outer", "2:Inner", "3:Deep", "1:Top"]);
    await store.toggle(outer.value.id, false);
    expect(shape()).toEqual(["1:Outer", "1:Top"]);
  });
});
