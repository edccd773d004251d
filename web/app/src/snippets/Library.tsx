// The snippet library panel beside the sidebar: search, the folder tree (or the trash), and
// the actions on what is selected. Folder and rename questions are asked here; opening,
// history and saving belong to the workbench (useSnippetWorkbench).
import { useEffect, useRef, useState, useSyncExternalStore } from "react";
import { toaster } from "../ui/toasts";
import type { SnippetItem } from "./api";
import { explain, type LibraryStore, type Selection } from "./library";
import { MoveDialog } from "./MoveDialog";
import { TextDialog } from "./TextDialog";
import { Trash } from "./Trash";
import { LibraryTree, type TreeActions } from "./Tree";
import "./snippets.css";

const SEARCH_DELAY_MS = 200;

interface Props {
  store: LibraryStore;
  open: (snippetId: string) => void;
  history: (snippetId: string) => void;
  renamed: (snippet: SnippetItem) => void;
  close: () => void;
  /** Raised to put focus in the search (Alt+S): on mount when above 0, then on each change. */
  focusRequest: number;
}

type Ask =
  | { kind: "new-folder"; parentId: string | null }
  | { kind: "rename"; selection: Selection; name: string }
  | { kind: "move"; selection: Selection; name: string; current: string | null };

export function Library({ store, open, history, renamed, close, focusRequest }: Props) {
  const snapshot = useSyncExternalStore(store.subscribe, store.getSnapshot);
  const [view, setView] = useState<"library" | "trash">("library");
  const [text, setText] = useState(snapshot.search.text);
  const [ask, setAsk] = useState<Ask | null>(null);
  const search = useRef<HTMLInputElement>(null);

  useEffect(() => {
    if (focusRequest <= 0) return;
    setView("library");
    // the search box is shown in the library view: focus it once that view is on screen
    setTimeout(() => {
      search.current?.focus();
      search.current?.select();
    }, 0);
  }, [focusRequest]);

  useEffect(() => {
    if (!snapshot.levels.has("")) void store.load(null);
  }, [store, snapshot.levels]);

  useEffect(() => {
    const timer = setTimeout(() => void store.search(text), SEARCH_DELAY_MS);
    return () => clearTimeout(timer);
  }, [store, text]);

  useEffect(() => {
    if (view === "trash") void store.loadTrash();
  }, [store, view]);

  const nameOf = (selection: Selection): string =>
    selection.kind === "folder"
      ? (store.folder(selection.id)?.name ?? "folder")
      : (store.snippet(selection.id)?.title ?? "snippet");

  const remove = async (selection: Selection) => {
    if (selection.kind === "folder") {
      const result = await store.deleteFolder(selection.id);
      if (result.ok) toaster.show(`Deleted the folder “${result.value.name}”.`);
      return;
    }
    const result = await store.deleteSnippet(selection.id);
    if (result.ok) {
      const { id, title } = result.value;
      toaster.show(`Moved “${title}” to the trash.`, {
        label: "Undo",
        run: () => void store.restoreSnippet(id),
      });
    }
  };

  const actions: TreeActions = {
    open,
    rename: (selection) => setAsk({ kind: "rename", selection, name: nameOf(selection) }),
    remove: (selection) => void remove(selection),
    move: (item, folderId) => {
      void (item.kind === "folder"
        ? store.moveFolder(item.id, folderId)
        : store.moveSnippet(item.id, folderId));
    },
  };

  const selected = snapshot.selected;
  const selectedSnippet = selected?.kind === "snippet" ? store.snippet(selected.id) : null;
  const selectedFolder = selected?.kind === "folder" ? store.folder(selected.id) : null;
  const results = snapshot.search.results;

  return (
    <section className="library" aria-label="Snippet library" id="snippet-library">
      <div className="library-head">
        <h2>Snippets</h2>
        <div className="library-views">
          <button
            type="button"
            aria-pressed={view === "library"}
            onClick={() => setView("library")}
          >
            Library
          </button>
          <button
            type="button"
            aria-pressed={view === "trash"}
            onClick={() => setView("trash")}
            data-action="trash"
          >
            Trash
          </button>
        </div>
        <button
          type="button"
          className="icon"
          aria-label="Close the snippet library"
          onClick={close}
        >
          ×
        </button>
      </div>
      {view === "library" && (
        <div className="library-search">
          <input
            ref={search}
            type="search"
            aria-label="Search snippets"
            placeholder="Search snippets (title, SQL, tags)"
            data-testid="snippet-search"
            value={text}
            maxLength={200}
            onChange={(event) => setText(event.target.value)}
          />
        </div>
      )}
      {snapshot.notice && (
        <div className={`notice ${snapshot.notice.kind}`} role="alert" data-field="library-notice">
          <span>{snapshot.notice.text}</span>
          <button
            type="button"
            className="icon"
            aria-label="Dismiss"
            onClick={() => store.dismissNotice()}
          >
            ×
          </button>
        </div>
      )}
      <div className="library-body">
        {view === "trash" ? (
          <Trash
            snapshot={snapshot}
            restore={(id) =>
              void store.restoreSnippet(id).then((result) => {
                if (result.ok) toaster.show("Restored from the trash.");
              })
            }
          />
        ) : results !== null ? (
          <SearchResults
            results={results}
            problem={snapshot.search.problem}
            open={open}
            select={(id) => store.select({ kind: "snippet", id })}
          />
        ) : (
          <LibraryTree store={store} snapshot={snapshot} actions={actions} />
        )}
      </div>
      {view === "library" && (
        <div className="library-actions" role="toolbar" aria-label="Library actions">
          <button
            type="button"
            data-action="new-folder"
            onClick={() =>
              setAsk({ kind: "new-folder", parentId: selectedFolder ? selectedFolder.id : null })
            }
          >
            {selectedFolder ? "New folder inside" : "New folder"}
          </button>
          {selectedSnippet && (
            <>
              <button type="button" data-action="open" onClick={() => open(selectedSnippet.id)}>
                Open
              </button>
              <button
                type="button"
                data-action="duplicate"
                onClick={() => void store.duplicateSnippet(selectedSnippet.id)}
              >
                Duplicate
              </button>
              <button
                type="button"
                data-action="history"
                onClick={() => history(selectedSnippet.id)}
              >
                History
              </button>
            </>
          )}
          {selected && (selectedSnippet || selectedFolder) && (
            <>
              <button type="button" data-action="rename" onClick={() => actions.rename(selected)}>
                Rename
              </button>
              <button
                type="button"
                data-action="move"
                onClick={() =>
                  setAsk({
                    kind: "move",
                    selection: selected,
                    name: nameOf(selected),
                    current: selectedFolder
                      ? selectedFolder.parentId
                      : (selectedSnippet?.folderId ?? null),
                  })
                }
              >
                Move…
              </button>
              <button type="button" data-action="delete" onClick={() => actions.remove(selected)}>
                Delete
              </button>
            </>
          )}
        </div>
      )}
      {ask?.kind === "new-folder" && (
        <TextDialog
          title={ask.parentId ? "New folder inside" : "New folder"}
          label="Folder name"
          initial=""
          submitLabel="Create"
          maxLength={100}
          name="new-folder"
          onClose={() => setAsk(null)}
          onSubmit={async (name) => {
            const result = await store.createFolder(name, ask.parentId);
            if (result.ok) return null;
            store.say(null);
            return explainRefusal(result);
          }}
        />
      )}
      {ask?.kind === "rename" && (
        <TextDialog
          title={ask.selection.kind === "folder" ? "Rename folder" : "Rename snippet"}
          label={ask.selection.kind === "folder" ? "Folder name" : "Title"}
          initial={ask.name}
          submitLabel="Rename"
          maxLength={ask.selection.kind === "folder" ? 100 : 200}
          name="rename"
          onClose={() => setAsk(null)}
          onSubmit={async (name) => {
            if (ask.selection.kind === "folder") {
              const result = await store.renameFolder(ask.selection.id, name);
              store.say(null);
              return result.ok ? null : explainRefusal(result);
            }
            const known = store.snippet(ask.selection.id);
            const result = await store.renameSnippet(
              ask.selection.id,
              name,
              known?.version ?? null,
            );
            store.say(null);
            if (!result.ok) return explainRefusal(result);
            renamed(result.value);
            return null;
          }}
        />
      )}
      {ask?.kind === "move" && (
        <MoveDialog
          what={ask.name}
          current={ask.current}
          folderToMove={ask.selection.kind === "folder" ? ask.selection.id : undefined}
          onClose={() => setAsk(null)}
          onMove={async (folderId) => {
            const result =
              ask.selection.kind === "folder"
                ? await store.moveFolder(ask.selection.id, folderId)
                : await store.moveSnippet(ask.selection.id, folderId);
            store.say(null);
            return result.ok ? null : explainRefusal(result);
          }}
        />
      )}
    </section>
  );
}

function explainRefusal(result: { code: string; message: string }): string {
  return explain(result.code, result.message);
}

function SearchResults({
  results,
  problem,
  open,
  select,
}: {
  results: readonly SnippetItem[];
  problem: string | null;
  open: (id: string) => void;
  select: (id: string) => void;
}) {
  if (problem) return <p className="panel-note error">{problem}</p>;
  if (results.length === 0) return <p className="panel-note muted">No snippet matches.</p>;
  return (
    <ul className="lib-results" aria-label="Matching snippets">
      {results.map((snippet) => (
        <li key={snippet.id}>
          <button
            type="button"
            className="lib-result"
            data-snippet={snippet.title}
            onFocus={() => select(snippet.id)}
            onClick={() => open(snippet.id)}
          >
            <span className="lib-name">{snippet.title}</span>
            <span className="muted lib-version">v{snippet.version}</span>
          </button>
        </li>
      ))}
    </ul>
  );
}
