// The library as an ARIA tree, flat: every visible item is one treeitem with its aria-level
// (no nested groups, so an item's accessible name is its own text, not its children's).
// Folders open lazily; arrows move (Right/Left open, close, and go to the first child or the
// parent), Enter opens a snippet into a tab, F2 renames, Delete deletes. Folders and snippets
// can be dragged onto a folder, or onto the library's top level, to move them ("Move to…"
// does the same from the keyboard).
import { type DragEvent, type KeyboardEvent, useState } from "react";
import type { FolderItem, SnippetItem } from "./api";
import type { LevelState, LibrarySnapshot, LibraryStore, Selection } from "./library";

export const DRAG_TYPE = "application/x-quarry-library-item";

export interface TreeActions {
  open: (snippetId: string) => void;
  rename: (selection: Selection) => void;
  remove: (selection: Selection) => void;
  move: (item: Selection, folderId: string | null) => void;
}

type Row =
  | { kind: "folder"; folder: FolderItem; level: number; open: boolean; state?: LevelState }
  | { kind: "snippet"; snippet: SnippetItem; level: number };

/** The visible items in tree order: a folder's items follow it while it is open. */
export function visibleRows(snapshot: LibrarySnapshot): Row[] {
  const rows: Row[] = [];
  const walk = (levelKey: string, level: number) => {
    const state = snapshot.levels.get(levelKey);
    if (state?.status !== "ready") return;
    for (const folder of state.level.folders) {
      const open = snapshot.expanded.has(folder.id);
      rows.push({ kind: "folder", folder, level, open, state: snapshot.levels.get(folder.id) });
      if (open) walk(folder.id, level + 1);
    }
    for (const snippet of state.level.snippets) rows.push({ kind: "snippet", snippet, level });
  };
  walk("", 1);
  return rows;
}

const rowKey = (row: Row) =>
  row.kind === "folder" ? `folder:${row.folder.id}` : `snippet:${row.snippet.id}`;

function dragged(event: DragEvent): Selection | null {
  try {
    const value = JSON.parse(event.dataTransfer.getData(DRAG_TYPE)) as Selection;
    return value && (value.kind === "folder" || value.kind === "snippet") ? value : null;
  } catch {
    return null;
  }
}

/** Drop handlers for a place that takes items into `folderId` (null: the top level). */
function dropHandlers(
  folderId: string | null,
  actions: TreeActions,
  setOver: (target: string | null) => void,
) {
  const target = folderId ?? "";
  return {
    onDragOver: (event: DragEvent) => {
      if (!event.dataTransfer.types.includes(DRAG_TYPE)) return;
      event.preventDefault();
      event.stopPropagation();
      event.dataTransfer.dropEffect = "move";
      setOver(target);
    },
    onDrop: (event: DragEvent) => {
      setOver(null);
      const item = dragged(event);
      if (!item) return;
      event.preventDefault();
      event.stopPropagation();
      if (item.kind === "folder" && item.id === folderId) return;
      actions.move(item, folderId);
    },
  };
}

function startDrag(event: DragEvent, item: Selection, label: string) {
  event.dataTransfer.setData(DRAG_TYPE, JSON.stringify(item));
  event.dataTransfer.setData("text/plain", label);
  event.dataTransfer.effectAllowed = "move";
}

function folderNote(row: Extract<Row, { kind: "folder" }>): string | null {
  if (!row.open) return null;
  if (!row.state || row.state.status === "loading") return "loading…";
  if (row.state.status === "error") return row.state.message;
  const { folders, snippets } = row.state.level;
  return folders.length === 0 && snippets.length === 0 ? "empty" : null;
}

/** Arrows, Home and End move among the items; Left and Right follow the levels. */
function onTreeKeyDown(
  event: KeyboardEvent<HTMLUListElement>,
  rows: Row[],
  store: LibraryStore,
  actions: TreeActions,
) {
  const items = Array.from(event.currentTarget.querySelectorAll<HTMLElement>('[role="treeitem"]'));
  const index = items.indexOf(document.activeElement as HTMLElement);
  const row = rows[index];
  if (index < 0 || !row) return;
  let next = -1;
  switch (event.key) {
    case "ArrowDown":
      next = Math.min(items.length - 1, index + 1);
      break;
    case "ArrowUp":
      next = Math.max(0, index - 1);
      break;
    case "Home":
      next = 0;
      break;
    case "End":
      next = items.length - 1;
      break;
    case "ArrowRight":
      if (row.kind === "folder" && !row.open) void store.toggle(row.folder.id, true);
      else if (row.kind === "folder" && rows[index + 1]?.level === row.level + 1) next = index + 1;
      break;
    case "ArrowLeft":
      if (row.kind === "folder" && row.open) {
        void store.toggle(row.folder.id, false);
      } else {
        for (let i = index - 1; i >= 0; i -= 1) {
          if (rows[i]!.level === row.level - 1) {
            next = i;
            break;
          }
        }
      }
      break;
    case "Enter":
    case " ":
      if (row.kind === "folder") void store.toggle(row.folder.id);
      else if (event.key === "Enter") actions.open(row.snippet.id);
      break;
    case "F2":
      actions.rename(selectionOf(row));
      break;
    case "Delete":
      actions.remove(selectionOf(row));
      break;
    default:
      return;
  }
  event.preventDefault();
  if (next >= 0) items[next]?.focus();
}

const selectionOf = (row: Row): Selection =>
  row.kind === "folder"
    ? { kind: "folder", id: row.folder.id }
    : { kind: "snippet", id: row.snippet.id };

export function LibraryTree({
  store,
  snapshot,
  actions,
}: {
  store: LibraryStore;
  snapshot: LibrarySnapshot;
  actions: TreeActions;
}) {
  const [over, setOver] = useState<string | null>(null);
  const root = snapshot.levels.get("");
  if (!root || root.status === "loading") return <p className="panel-note muted">Loading…</p>;
  if (root.status === "error") return <p className="panel-note error">{root.message}</p>;
  const rows = visibleRows(snapshot);
  const selectedKey = snapshot.selected
    ? `${snapshot.selected.kind}:${snapshot.selected.id}`
    : null;
  const focusable = rows.some((r) => rowKey(r) === selectedKey)
    ? selectedKey
    : rows[0]
      ? rowKey(rows[0])
      : null;
  return (
    // biome-ignore lint/a11y/noStaticElementInteractions: a drop target; "Move to…" is the keyboard's way
    <div
      className={`lib-tree-area${over === "" ? " drop-over" : ""}`}
      data-drop="root"
      onDragLeave={(event) => {
        if (!event.currentTarget.contains(event.relatedTarget as Node | null)) setOver(null);
      }}
      {...dropHandlers(null, actions, setOver)}
    >
      {rows.length === 0 ? (
        <p className="panel-note muted">
          No snippets yet. Save a tab with Ctrl+S (⌘+S) to keep its SQL here.
        </p>
      ) : (
        <ul
          // biome-ignore lint/a11y/noNoninteractiveElementToInteractiveRole: an ARIA tree
          role="tree"
          aria-label="Snippet library"
          className="lib-tree"
          onKeyDown={(event) => onTreeKeyDown(event, rows, store, actions)}
        >
          {rows.map((row) => {
            const key = rowKey(row);
            const selection = selectionOf(row);
            const selected = key === selectedKey;
            const level = row.level;
            const tabIndex = key === focusable ? 0 : -1;
            const indent = { paddingLeft: `${0.3 + (level - 1) * 0.9}rem` };
            if (row.kind === "folder") {
              const note = folderNote(row);
              return (
                // biome-ignore lint/a11y/useKeyWithClickEvents: the tree takes the keys
                <li
                  key={key}
                  role="treeitem"
                  aria-level={level}
                  aria-selected={selected}
                  tabIndex={tabIndex}
                  draggable
                  onFocus={() => store.select(selection)}
                  style={indent}
                  aria-expanded={row.open}
                  className={`lib-row lib-folder${selected ? " selected" : ""}${over === row.folder.id ? " drop-over" : ""}`}
                  data-folder={row.folder.name}
                  onDragStart={(event) => startDrag(event, selection, row.folder.name)}
                  onClick={() => void store.toggle(row.folder.id)}
                  {...dropHandlers(row.folder.id, actions, setOver)}
                >
                  <span className="caret" aria-hidden="true">
                    {row.open ? "▾" : "▸"}
                  </span>
                  <span className="lib-icon" aria-hidden="true">
                    ▤
                  </span>
                  <span className="lib-name">{row.folder.name}</span>
                  {note && <span className="muted lib-version">({note})</span>}
                </li>
              );
            }
            return (
              <li
                key={key}
                role="treeitem"
                aria-level={level}
                aria-selected={selected}
                tabIndex={tabIndex}
                draggable
                onFocus={() => store.select(selection)}
                style={indent}
                className={`lib-row lib-snippet${selected ? " selected" : ""}`}
                data-snippet={row.snippet.title}
                onDragStart={(event) => startDrag(event, selection, row.snippet.title)}
                onDoubleClick={() => actions.open(row.snippet.id)}
              >
                <span className="lib-icon" aria-hidden="true">
                  ≡
                </span>
                <span className="lib-name">{row.snippet.title}</span>
                <span className="muted lib-version">v{row.snippet.version}</span>
              </li>
            );
          })}
        </ul>
      )}
    </div>
  );
}
