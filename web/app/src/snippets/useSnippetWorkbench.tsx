// The snippet library inside the workbench: the panel beside the sidebar, saving tabs as
// snippets (Ctrl/⌘+S, save as), opening snippets into tabs, their history, and the question
// a changed tab asks before it closes. Workbench calls this hook once and places what it
// returns; everything else stays here.
import {
  type ReactNode,
  type RefObject,
  Suspense,
  useCallback,
  useEffect,
  useMemo,
  useState,
} from "react";
import { describeProblem } from "../api/problems";
import type { SqlEditorHandle } from "../editor/SqlEditor";
import { isMac, keysOf } from "../shortcuts/registry";
import { browserStorage } from "../storage";
import { isDirty, type TabsStore } from "../tabs/store";
import { useChoice } from "../ui/Choice";
import { toaster } from "../ui/toasts";
import {
  createSnippet,
  libraryApi,
  readSnippet,
  type SnippetContent,
  type SnippetItem,
  updateSnippetSql,
} from "./api";
import { explain, LibraryStore } from "./library";
import { SaveAsDialog } from "./SaveAsDialog";
import {
  afterRename,
  afterSave,
  isUntouched,
  onRestore,
  planSave,
  suggestedTitle,
  tabsOf,
} from "./tabSnippets";
import "./snippets.css";
import { lazyPart } from "../ui/lazyPart";

// Loaded when first shown: most sessions open neither, and the first paint needs neither.
const Library = lazyPart(() => import("./Library").then((m) => m.Library));
const HistoryDialog = lazyPart(() => import("./HistoryDialog").then((m) => m.HistoryDialog));

const PANEL_KEY = "quarry.snippets.panel";
export const PANEL_WIDTH = 270;

interface Options {
  tabs: TabsStore;
  editor: RefObject<SqlEditorHandle | null>;
  activeId: string;
  /** Close a tab the way the tab bar does (its run controller goes too), without asking. */
  closeTab: (tabId: string) => void;
}

interface SaveAsState {
  tabId: string;
  reason?: string;
  done: (saved: boolean) => void;
}

/** Content to put into a tab once the editor shows it (the editor holds the active tab only). */
interface Replacement {
  tabId: string;
  sql: string;
}

export interface SnippetWorkbench {
  panelOpen: boolean;
  panel: ReactNode;
  dialogs: ReactNode;
  toolbar: ReactNode;
  save: () => void;
  saveAs: () => void;
  openPanel: () => void;
  togglePanel: () => void;
  showHistory: () => void;
  /** Close a tab, asking first when it has unsaved changes. */
  requestClose: (tabId: string) => void;
}

export function useSnippetWorkbench({
  tabs,
  editor,
  activeId,
  closeTab,
}: Options): SnippetWorkbench {
  const library = useMemo(() => new LibraryStore(libraryApi), []);
  const [focusRequest, setFocusRequest] = useState(0);
  const [panelOpen, setPanelOpen] = useState(() => browserStorage()?.getItem(PANEL_KEY) === "open");
  const [saveAs, setSaveAs] = useState<SaveAsState | null>(null);
  const [historyOf, setHistoryOf] = useState<string | null>(null);
  const [replacement, setReplacement] = useState<Replacement | null>(null);
  const [ask, choice] = useChoice();

  const setPanel = useCallback((open: boolean) => {
    setPanelOpen(open);
    try {
      browserStorage()?.setItem(PANEL_KEY, open ? "open" : "closed");
    } catch {
      // storage refused: the choice lasts for this page
    }
  }, []);

  // A restored or reopened snippet's SQL goes into its tab once the editor shows that tab
  // (the editor swaps tabs in its own effect, which runs before this one).
  useEffect(() => {
    if (!replacement || replacement.tabId !== activeId) return;
    editor.current?.replaceAll(replacement.sql);
    tabs.update(replacement.tabId, { sql: replacement.sql, origin: replacement.sql });
    setReplacement(null);
  }, [replacement, activeId, editor, tabs]);

  const askSaveAs = useCallback(
    (tabId: string, reason?: string) =>
      new Promise<boolean>((done) => setSaveAs({ tabId, reason, done })),
    [],
  );

  const save = useCallback(
    async (tabId: string): Promise<boolean> => {
      const tab = tabs.get(tabId);
      if (!tab) return false;
      const plan = planSave(tab);
      if (plan.kind === "create") return askSaveAs(tabId);
      if (plan.kind === "unchanged") {
        toaster.show(`“${tab.title}” has no changes to save.`);
        return true;
      }
      try {
        const result = await updateSnippetSql(plan);
        if (result.ok) {
          tabs.update(tabId, afterSave(result.value, plan.sql));
          toaster.show(`Saved “${result.value.title}” (version ${result.value.version}).`);
          void library.refresh(result.value.folderId);
          return true;
        }
        if (result.code === "CONFLICT" || result.code === "NOT_FOUND") {
          const conflict = result.code === "CONFLICT";
          const answer = await ask({
            name: conflict ? "save-conflict" : "save-gone",
            title: conflict ? "Saved elsewhere since" : "Snippet not found",
            message: conflict ? (
              <p>
                “{tab.title}” was changed elsewhere since this tab opened version{" "}
                {tab.snippetVersion}. Saving would overwrite that change, so nothing was saved. Save
                your SQL as a new snippet, or look at the history first.
              </p>
            ) : (
              <p>
                “{tab.title}” is not in your library any more (it was deleted, or is in the trash).
                Save your SQL as a new snippet?
              </p>
            ),
            choices: [
              { value: "save-as", label: "Save as a new snippet", tone: "primary" },
              ...(conflict ? [{ value: "history" as const, label: "Show the history" }] : []),
              { value: "cancel", label: "Cancel" },
            ],
          });
          if (answer === "save-as") {
            return askSaveAs(tabId, explain(result.code, result.message));
          }
          if (answer === "history" && tab.snippetId) setHistoryOf(tab.snippetId);
          return false;
        }
        toaster.show(`Not saved: ${explain(result.code, result.message)}`);
        return false;
      } catch (error) {
        toaster.show(`Not saved: ${describeProblem(error)}`);
        return false;
      }
    },
    [tabs, library, ask, askSaveAs],
  );

  const create = async (tabId: string, title: string, folderId: string | null) => {
    const tab = tabs.get(tabId);
    if (!tab) return "The tab was closed.";
    const sql = tab.sql;
    try {
      const result = await createSnippet({ title, sql, folderId });
      if (!result.ok) return explain(result.code, result.message);
      tabs.update(tabId, afterSave(result.value, sql));
      toaster.show(`Saved “${result.value.title}” in your snippets.`);
      void library.refresh(folderId);
      return null;
    } catch (error) {
      return describeProblem(error);
    }
  };

  const open = useCallback(
    async (snippetId: string) => {
      const shown = tabsOf(tabs.getSnapshot().tabs, snippetId)[0];
      if (shown) {
        tabs.activate(shown.id);
        return;
      }
      try {
        const snippet = await readSnippet(snippetId);
        if (!snippet) {
          toaster.show("That snippet is not in your library any more.");
          return;
        }
        const previous = tabs.active();
        const tab = tabs.open({ title: snippet.title, sql: snippet.sql });
        tabs.update(tab.id, { snippetId: snippet.id, snippetVersion: snippet.version });
        if (isUntouched(previous)) closeTab(previous.id);
        setTimeout(() => editor.current?.focus(), 0);
      } catch (error) {
        toaster.show(describeProblem(error));
      }
    },
    [tabs, editor, closeTab],
  );

  const restored = useCallback(
    (snippet: SnippetContent) => {
      const shown = tabsOf(tabs.getSnapshot().tabs, snippet.id);
      void library.refresh(snippet.folderId);
      if (shown.length === 0) {
        const tab = tabs.open({ title: snippet.title, sql: snippet.sql });
        tabs.update(tab.id, { snippetId: snippet.id, snippetVersion: snippet.version });
        return;
      }
      for (const tab of shown) {
        if (onRestore(tab) === "replace") {
          tabs.update(tab.id, { title: snippet.title, snippetVersion: snippet.version });
          tabs.activate(tab.id);
          setReplacement({ tabId: tab.id, sql: snippet.sql });
        } else {
          toaster.show(
            `“${tab.title}” has unsaved changes, so it still shows them; saving it will say the snippet moved on.`,
          );
        }
      }
    },
    [tabs, library],
  );

  const renamed = useCallback(
    (snippet: SnippetItem) => {
      for (const tab of tabsOf(tabs.getSnapshot().tabs, snippet.id)) {
        tabs.update(tab.id, afterRename(tab, snippet));
      }
    },
    [tabs],
  );

  const requestClose = useCallback(
    async (tabId: string) => {
      const tab = tabs.get(tabId);
      if (!tab) return;
      if (!isDirty(tab)) {
        closeTab(tabId);
        return;
      }
      const answer = await ask({
        name: "unsaved",
        title: "Unsaved changes",
        message: (
          <p>
            “{tab.title}” has changes that are not saved
            {tab.snippetId ? " to its snippet" : " in your snippets"}. Close it anyway?
          </p>
        ),
        choices: [
          {
            value: "save",
            label: tab.snippetId ? "Save and close" : "Save as a snippet and close",
            tone: "primary",
          },
          { value: "discard", label: "Close without saving", tone: "danger" },
          { value: "cancel", label: "Cancel" },
        ],
      });
      if (answer === "discard") closeTab(tabId);
      else if (answer === "save" && (await save(tabId))) closeTab(tabId);
    },
    [tabs, ask, save, closeTab],
  );

  const active = tabs.get(activeId);
  const openPanel = () => {
    setPanel(true);
    setFocusRequest((n) => n + 1);
  };
  const showHistory = () => {
    const selected = library.getSnapshot().selected;
    const id =
      active?.snippetId ?? (selected?.kind === "snippet" && panelOpen ? selected.id : null);
    if (id) setHistoryOf(id);
    else toaster.show("This tab is not a saved snippet yet: save it first (Ctrl+S / ⌘+S).");
  };

  const panel = panelOpen ? (
    <Suspense fallback={<section className="library" aria-label="Snippet library" />}>
      <Library
        focusRequest={focusRequest}
        store={library}
        open={(id) => void open(id)}
        history={setHistoryOf}
        renamed={renamed}
        close={() => setPanel(false)}
      />
    </Suspense>
  ) : null;

  const saveAsTab = saveAs ? tabs.get(saveAs.tabId) : undefined;
  const dialogs = (
    <>
      {choice}
      {saveAs && (
        <SaveAsDialog
          initialTitle={saveAsTab ? suggestedTitle(saveAsTab) : ""}
          reason={saveAs.reason}
          onSave={async (title, folderId) => {
            const refusal = await create(saveAs.tabId, title, folderId);
            if (refusal === null) saveAs.done(true);
            return refusal;
          }}
          onClose={() => {
            saveAs.done(false);
            setSaveAs(null);
          }}
        />
      )}
      {historyOf && (
        <Suspense fallback={null}>
          <HistoryDialog
            snippetId={historyOf}
            onRestored={restored}
            onClose={() => setHistoryOf(null)}
          />
        </Suspense>
      )}
    </>
  );

  const toolbar = (
    <>
      <button
        type="button"
        data-action="save"
        onClick={() => void save(activeId)}
        title="Save the tab as its snippet (Ctrl+S / ⌘+S)"
      >
        Save
      </button>
      <button
        type="button"
        data-action="save-as"
        onClick={() => void askSaveAs(activeId)}
        title="Save as a new snippet (Ctrl+Shift+S / ⌘⇧S)"
      >
        Save as…
      </button>
      <button
        type="button"
        data-action="snippet-history"
        disabled={!active?.snippetId}
        onClick={showHistory}
        title={`History of the tab's snippet (${keysOf("snippetHistory", isMac())})`}
      >
        History
      </button>
      <button
        type="button"
        data-action="snippets"
        aria-pressed={panelOpen}
        aria-controls={panelOpen ? "snippet-library" : undefined}
        onClick={() => setPanel(!panelOpen)}
        title={`The snippet library (${keysOf("openSnippets", isMac())})`}
      >
        Snippets
      </button>
      {active?.snippetId && (
        <span className="muted snippet-badge" data-field="snippet-version">
          snippet v{active.snippetVersion}
        </span>
      )}
    </>
  );

  return {
    panelOpen,
    panel,
    dialogs,
    toolbar,
    save: () => void save(activeId),
    saveAs: () => void askSaveAs(activeId),
    openPanel,
    togglePanel: () => setPanel(!panelOpen),
    showHistory,
    requestClose: (tabId) => void requestClose(tabId),
  };
}
