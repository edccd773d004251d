// The library as an ARIA tree: folders open lazily; arrows move (Right/Left open and close),
// Enter opens a snippet into a tab, F2 renames, Delete deletes. Folders and snippets can be
// dragged onto a folder, or onto the library's top level, to move them ("Move to…" does the
// same from the keyboard).
import { type DragEvent, type KeyboardEvent, useState } from "react";
import type { FolderItem, SnippetItem } from "./api";
import type { LibrarySnapshot, LibraryStore, Selection } from "./library";

export const DRAG_TYPE = "application/x-quarry-library-item";

export interface TreeActions {
  open: (snippetId: string) => void;
  rename: (selection: Selection) => void;
  remove: (selection: Selection) => void;
  move: (item: Selection, folderId: string | null) => void;
}

function dragged(event: DragEvent): Selection | null {
  try {
    const value = JSON.parse(event.dataTransfer.getData(DRAG_TYPE)) as Selection;
    return value && (value.kind === "folder" || value.kind === "snippet") ? value : null;
  } catch {
    return null;
  }
}

function carries(event: DragEvent): boolean {
  return event.dataTransfer.types.includes(DRAG_TYPE);
}

/** Drop handlers for a place that takes items into `folderId` (null: the top level). */
function useDropTarget(folderId: string | null, actions: TreeActions) {
  const [over, setOver] = useState(false);
  return {
    over,
    handlers: {
      onDragOver: (event: DragEvent) => {
        if (!carries(event)) return;
        event.preventDefault();
        event.stopPropagation();
        event.dataTransfer.dropEffect = "move";
        setOver(true);
      },
      onDragLeave: (event: DragEvent) => {
        if (event.currentTarget.contains(event.relatedTarget as Node | null)) return;
        setOver(false);
      },
      onDrop: (event: DragEvent) => {
        setOver(false);
        const item = dragged(event);
        if (!item) return;
        event.preventDefault();
        event.stopPropagation();
        if (item.kind === "folder" && item.id === folderId) return;
        actions.move(item, folderId);
      },
    },
  };
}

function startDrag(event: DragEvent, item: Selection, label: string) {
  event.stopPropagation();
  event.dataTransfer.setData(DRAG_TYPE, JSON.stringify(item));
  event.dataTransfer.setData("text/plain", label);
  event.dataTransfer.effectAllowed = "move";
}

interface NodeProps {
  store: LibraryStore;
  snapshot: LibrarySnapshot;
  level: number;
  actions: TreeActions;
  focusable: string | null;
}

function isSelected(snapshot: LibrarySnapshot, kind: Selection["kind"], id: string) {
  return snapshot.selected?.kind === kind && snapshot.selected.id === id;
}

function FolderNode({ folder, ...props }: NodeProps & { folder: FolderItem }) {
  const { store, snapshot, level, actions, focusable } = props;
  const open = snapshot.expanded.has(folder.id);
  const state = snapshot.levels.get(folder.id);
  const drop = useDropTarget(folder.id, actions);
  const selection: Selection = { kind: "folder", id: folder.id };
  return (
    <li
      role="treeitem"
      aria-expanded={open}
      aria-level={level}
      aria-selected={isSelected(snapshot, "folder", folder.id)}
      aria-label={folder.name}
      tabIndex={focusable === `folder:${folder.id}` ? 0 : -1}
      className={`lib-folder${drop.over ? " drop-over" : ""}`}
      data-folder={folder.name}
      draggable
      onDragStart={(event) => startDrag(event, selection, folder.name)}
      onFocus={(event) => {
        if (event.target === event.currentTarget) store.select(selection);
      }}
      onKeyDown={(event) => {
        if (event.target !== event.currentTarget) return;
        if (event.key === "ArrowRight" && !open) {
          event.preventDefault();
          event.stopPropagation();
          void store.toggle(folder.id, true);
        } else if (event.key === "ArrowLeft" && open) {
          event.preventDefault();
          event.stopPropagation();
          void store.toggle(folder.id, false);
        } else if (event.key === "Enter" || event.key === " ") {
          event.preventDefault();
          event.stopPropagation();
          void store.toggle(folder.id);
        }
      }}
      {...drop.handlers}
    >
      {/* biome-ignore lint/a11y/noStaticElementInteractions: the treeitem takes the keys */}
      {/* biome-ignore lint/a11y/useKeyWithClickEvents: the treeitem takes the keys */}
      <div
        className={`lib-row${isSelected(snapshot, "folder", folder.id) ? " selected" : ""}`}
        onClick={() => {
          store.select(selection);
          void store.toggle(folder.id);
        }}
      >
        <span className="caret" aria-hidden="true">
          {open ? "▾" : "▸"}
        </span>
        <span className="lib-icon" aria-hidden="true">
          ▤
        </span>
        <span className="lib-name">{folder.name}</span>
      </div>
      {open && (
        // biome-ignore lint/a11y/useSemanticElements: an ARIA tree's group of items
        <ul role="group">
          {state?.status === "loading" && <li className="muted lib-note">Loading…</li>}
          {state?.status === "error" && <li className="error lib-note">{state.message}</li>}
          {state?.status === "ready" && (
            <Children
              {...props}
              level={level + 1}
              folders={state.level.folders}
              snippets={state.level.snippets}
            />
          )}
        </ul>
      )}
    </li>
  );
}

function SnippetNode({ snippet, ...props }: NodeProps & { snippet: SnippetItem }) {
  const { store, snapshot, level, actions, focusable } = props;
  const selection: Selection = { kind: "snippet", id: snippet.id };
  const selected = isSelected(snapshot, "snippet", snippet.id);
  return (
    <li
      role="treeitem"
      aria-level={level}
      aria-selected={selected}
      aria-label={snippet.title}
      tabIndex={focusable === `snippet:${snippet.id}` ? 0 : -1}
      className={`lib-snippet${selected ? " selected" : ""}`}
      data-snippet={snippet.title}
      draggable
      onDragStart={(event) => startDrag(event, selection, snippet.title)}
      onFocus={(event) => {
        if (event.target === event.currentTarget) store.select(selection);
      }}
      onClick={() => store.select(selection)}
      onDoubleClick={() => actions.open(snippet.id)}
      onKeyDown={(event) => {
        if (event.target !== event.currentTarget) return;
        if (event.key === "Enter") {
          event.preventDefault();
          event.stopPropagation();
          actions.open(snippet.id);
        }
      }}
    >
      <span className="lib-icon" aria-hidden="true">
        ≡
      </span>
      <span className="lib-name">{snippet.title}</span>
      <span className="muted lib-version">v{snippet.version}</span>
    </li>
  );
}

function Children(
  props: NodeProps & { folders: readonly FolderItem[]; snippets: readonly SnippetItem[] },
) {
  const { folders, snippets, ...rest } = props;
  if (folders.length === 0 && snippets.length === 0) {
    return <li className="muted lib-note">Empty</li>;
  }
  return (
    <>
      {folders.map((folder) => (
        <FolderNode key={folder.id} folder={folder} {...rest} />
      ))}
      {snippets.map((snippet) => (
        <SnippetNode key={snippet.id} snippet={snippet} {...rest} />
      ))}
    </>
  );
}

/** Arrows, Home and End move among the visible items; Left from a child goes to its folder. */
function onTreeKeyDown(
  event: KeyboardEvent<HTMLUListElement>,
  actions: TreeActions,
  store: LibraryStore,
) {
  const items = Array.from(event.currentTarget.querySelectorAll<HTMLElement>('[role="treeitem"]'));
  const current = document.activeElement as HTMLElement | null;
  const index = current ? items.indexOf(current) : -1;
  if (index < 0) return;
  const selection = store.getSnapshot().selected;
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
    case "ArrowLeft": {
      const parent = current?.parentElement?.closest<HTMLElement>('[role="treeitem"]');
      if (parent) next = items.indexOf(parent);
      break;
    }
    case "ArrowRight": {
      const child = current?.querySelector<HTMLElement>('[role="group"] > [role="treeitem"]');
      if (child) next = items.indexOf(child);
      break;
    }
    case "F2":
      if (selection) {
        event.preventDefault();
        actions.rename(selection);
      }
      return;
    case "Delete":
      if (selection) {
        event.preventDefault();
        actions.remove(selection);
      }
      return;
    default:
      return;
  }
  if (next >= 0) {
    event.preventDefault();
    items[next]?.focus();
  }
}

export function LibraryTree({
  store,
  snapshot,
  actions,
}: {
  store: LibraryStore;
  snapshot: LibrarySnapshot;
  actions: TreeActions;
}) {
  const root = snapshot.levels.get("");
  const drop = useDropTarget(null, actions);
  if (!root || root.status === "loading") return <p className="panel-note muted">Loading…</p>;
  if (root.status === "error") return <p className="panel-note error">{root.message}</p>;
  const { folders, snippets } = root.level;
  const first = folders[0]
    ? `folder:${folders[0].id}`
    : snippets[0]
      ? `snippet:${snippets[0].id}`
      : null;
  const focusable = snapshot.selected ? `${snapshot.selected.kind}:${snapshot.selected.id}` : first;
  return (
    <div
      className={`lib-tree-area${drop.over ? " drop-over" : ""}`}
      {...drop.handlers}
      data-drop="root"
    >
      {folders.length === 0 && snippets.length === 0 ? (
        <p className="panel-note muted">
          No snippets yet. Save a tab with Ctrl+S (⌘+S) to keep its SQL here.
        </p>
      ) : (
        <ul
          // biome-ignore lint/a11y/noNoninteractiveElementToInteractiveRole: an ARIA tree
          role="tree"
          aria-label="Snippet library"
          className="lib-tree"
          onKeyDown={(event) => onTreeKeyDown(event, actions, store)}
        >
          <Children
            store={store}
            snapshot={snapshot}
            level={1}
            actions={actions}
            focusable={hasItem(snapshot, focusable) ? focusable : first}
            folders={folders}
            snippets={snippets}
          />
        </ul>
      )}
    </div>
  );
}

/** Whether the item `kind:id` is shown in a loaded, open level. */
function hasItem(snapshot: LibrarySnapshot, ref: string | null): boolean {
  if (!ref) return false;
  const [kind, id] = ref.split(":");
  const visible = (levelKey: string): boolean => {
    const state = snapshot.levels.get(levelKey);
    if (state?.status !== "ready") return false;
    const { folders, snippets } = state.level;
    if (kind === "folder" && folders.some((f) => f.id === id)) return true;
    if (kind === "snippet" && snippets.some((s) => s.id === id)) return true;
    return folders.some((f) => snapshot.expanded.has(f.id) && visible(f.id));
  };
  return visible("");
}
