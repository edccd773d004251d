// The signed-in screen: top bar; sidebar | (tabs, editor) over results; resizable panes.
import { useCallback, useEffect, useMemo, useRef, useState, useSyncExternalStore } from "react";
import type { Viewer } from "../App";
import { Header } from "../account/Header";
import { SessionStatusSubscription } from "../account/operations";
import { useAccount } from "../admin/useAccount";
import { request } from "../api/http";
import { ApiProblem, describeProblem, MESSAGES, reportSessionProblem } from "../api/problems";
import { live } from "../api/ws";
import type { EditorHooks } from "../editor/extensions";
import { FormatSqlQuery, SqlCompletionsQuery, ValidateSqlQuery } from "../editor/operations";
import { SqlEditor, type SqlEditorHandle } from "../editor/SqlEditor";
import { utf16Offset } from "../editor/sqlText";
import { workbenchHost } from "../production/host";
import { ProductionTools, requestScreen, requestUnpark } from "../production/ProductionTools";
import { RunController } from "../results/controller";
import { ResultsPanel } from "../results/ResultsPanel";
import { cycleTab } from "../shortcuts/tabCommands";
import { useShortcuts } from "../shortcuts/useShortcuts";
import { Sidebar } from "../sidebar/Sidebar";
import { PANEL_WIDTH, useSnippetWorkbench } from "../snippets/useSnippetWorkbench";
import { browserStorage } from "../storage";
import { storageKey, TabsStore } from "../tabs/store";
import { TabBar } from "../tabs/TabBar";
import { Toasts } from "../ui/Toasts";
import { Splitter } from "./Splitter";
import { useLayout } from "./useLayout";

const RUNNING = new Set(["QUEUED", "STARTING", "RUNNING"]);

function useSessionWatch(): void {
  useEffect(() => {
    let watch: { stop(): void } | null = null;
    try {
      watch = live({
        document: SessionStatusSubscription,
        variables: () => ({}),
        next: (data) => {
          if (!data.sessionStatus.active) {
            reportSessionProblem(new ApiProblem("signed-out", MESSAGES["signed-out"]));
          }
        },
      });
    } catch {
      // no room on the socket: requests still notice an ended session
    }
    return () => watch?.stop();
  }, []);
}

export function Workbench({
  viewer,
  reload,
  onSignedOut,
}: {
  viewer: Viewer;
  onViewerChange: (viewer: Viewer) => void;
  reload: () => Promise<void>;
  /** After the account screen signed out or uninstalled: the signed-out screen, saying what
   * happened when there is more to say than that (an uninstall's outcome). */
  onSignedOut?: (note?: string) => void;
}) {
  const mid = viewer.businessUnit.mid;
  const store = useMemo(
    () => new TabsStore(storageKey(viewer.user.id, mid), browserStorage()),
    [viewer.user.id, mid],
  );
  const snapshot = useSyncExternalStore(store.subscribe, store.getSnapshot);
  const controllers = useRef(new Map<string, RunController>());
  const editor = useRef<SqlEditorHandle>(null);
  const production = useMemo(() => workbenchHost(viewer, editor, store), [viewer, store]);
  const [sizes, resize] = useLayout();
  const [note, setNote] = useState("");
  const [, forceRender] = useState(0);
  useSessionWatch();

  const controllerFor = useCallback((tabId: string): RunController => {
    let controller = controllers.current.get(tabId);
    if (!controller) {
      controller = new RunController();
      controller.subscribe(() => forceRender((n) => n + 1));
      controllers.current.set(tabId, controller);
    }
    return controller;
  }, []);

  const active = snapshot.tabs.find((t) => t.id === snapshot.activeId) ?? snapshot.tabs[0]!;
  const activeRef = useRef(active.id);
  activeRef.current = active.id;

  // Only the visible tab streams rows; a restored tab re-attaches its run when shown.
  useEffect(() => {
    for (const [id, controller] of controllers.current) controller.setVisible(id === active.id);
    const controller = controllerFor(active.id);
    controller.setVisible(true);
    if (
      active.runId &&
      controller.getSnapshot().runId !== active.runId &&
      !controller.getSnapshot().submitting
    ) {
      void controller.attach(active.runId);
    }
  }, [active.id, active.runId, controllerFor]);

  useEffect(() => {
    const save = () => store.flush();
    window.addEventListener("pagehide", save);
    return () => {
      window.removeEventListener("pagehide", save);
      store.flush();
    };
  }, [store]);

  useEffect(
    () => () => {
      for (const controller of controllers.current.values()) controller.dispose();
      controllers.current.clear();
    },
    [],
  );

  const run = useCallback(
    (sql: string) => {
      const tabId = activeRef.current;
      if (!sql.trim()) return;
      const clickedAt = performance.now();
      void controllerFor(tabId)
        .start(sql, clickedAt)
        .then((runId) => {
          if (runId) store.recordRun(tabId, runId);
        });
    },
    [controllerFor, store],
  );

  const format = useCallback(async () => {
    const text = editor.current?.text() ?? "";
    if (!text.trim()) return;
    try {
      const data = await request(FormatSqlQuery, { sql: text });
      if (data.formatSql.changed) editor.current?.replaceAll(data.formatSql.sql);
      const finding = data.formatSql.findings[0];
      setNote(finding ? `Not formatted: ${finding.message}` : "");
    } catch (error) {
      setNote(describeProblem(error));
    }
  }, []);

  const closeTab = useCallback(
    (id: string) => {
      controllers.current.get(id)?.dispose();
      controllers.current.delete(id);
      store.close(id);
    },
    [store],
  );
  const newTab = () => {
    store.open();
    setTimeout(() => editor.current?.focus(), 0);
  };
  const snippets = useSnippetWorkbench({ tabs: store, editor, activeId: active.id, closeTab });
  const account = useAccount(onSignedOut ?? (() => void reload()));
  const shortcutHelp = useShortcuts({
    run: () => run(editor.current?.text() ?? ""),
    format: () => void format(),
    save: snippets.save,
    saveAs: snippets.saveAs,
    newTab,
    closeTab: () => snippets.requestClose(activeRef.current),
    nextTab: () => cycleTab(store, 1),
    previousTab: () => cycleTab(store, -1),
    focusEditor: () => editor.current?.focus(),
    focusSearch: () => document.querySelector<HTMLElement>('[data-testid="de-search"]')?.focus(),
    openSnippets: snippets.openPanel,
    snippetHistory: snippets.showHistory,
    openAccount: () => account.open(),
    openTargetWizard: () => requestScreen("wizard"),
    openPreflight: () => requestScreen("preflight"),
    openDeploy: () => requestScreen("deploy"),
    openDeployments: () => requestScreen("deployments"),
    backToScreen: requestUnpark,
  });

  const hooks: EditorHooks = {
    complete: async (sql, offset) =>
      (await request(SqlCompletionsQuery, { sql, offset })).sqlCompletions,
    validate: async (sql) => (await request(ValidateSqlQuery, { sql })).validateSql.findings,
    change: (sql) => store.update(activeRef.current, { sql }),
    run,
    format: () => void format(),
  };

  const isRunning = (tabId: string) => {
    const s = controllers.current.get(tabId)?.getSnapshot();
    return !!s && (s.submitting || (s.status !== null && RUNNING.has(s.status)));
  };

  const openQuery = (title: string, sql: string) => {
    store.open({ title, sql });
  };

  const openRun = (runId: string, sql: string) => {
    const tab = store.active();
    if (tab.sql.trim() && tab.sql !== sql) {
      const opened = store.open({ title: "Past run", sql, origin: sql });
      store.recordRun(opened.id, runId);
    } else {
      store.recordRun(tab.id, runId);
    }
  };

  const activeController = controllerFor(active.id);
  const activeRunning = isRunning(active.id);

  return (
    <div className="workbench">
      <Header viewer={viewer} onSwitched={reload} onAccount={() => account.open()} />
      <div
        className="panes"
        style={{
          gridTemplateColumns: `${sizes.sidebar}px 6px ${snippets.panelOpen ? `${PANEL_WIDTH}px ` : ""}minmax(0, 1fr)`,
        }}
      >
        <Sidebar insert={(text) => editor.current?.insert(text)} openQuery={openQuery} />
        <Splitter
          orientation="vertical"
          label="Resize the sidebar"
          value={sizes.sidebar}
          min={200}
          max={640}
          onChange={(sidebar) => resize({ sidebar })}
        />
        {snippets.panel}
        <main
          className="main"
          style={{ gridTemplateRows: `auto auto minmax(80px, 1fr) 6px ${sizes.results}px` }}
        >
          <TabBar
            tabs={snapshot.tabs}
            activeId={active.id}
            running={isRunning}
            onActivate={(id) => store.activate(id)}
            onClose={snippets.requestClose}
            onNew={newTab}
          />
          <div className="toolbar" role="toolbar" aria-label="Query">
            <button
              type="button"
              className="primary"
              data-action="run"
              disabled={activeRunning}
              onClick={() => run(editor.current?.text() ?? "")}
              title="Run (Ctrl+Enter / ⌘+Enter); runs the selection when there is one"
            >
              ▶ Run
            </button>
            <button
              type="button"
              onClick={() => void format()}
              data-action="format"
              title="Format (Shift+Alt+F)"
            >
              Format
            </button>
            {snippets.toolbar}
            <span className="muted toolbar-note" role="status">
              {note}
            </span>
            <ProductionTools host={production} />
          </div>
          <div
            id="editor-panel"
            role="tabpanel"
            aria-labelledby={`tab-${active.id}`}
            className="editor-panel"
          >
            <SqlEditor
              ref={editor}
              tabId={active.id}
              initialSql={() => store.get(active.id)?.sql ?? ""}
              hooks={hooks}
            />
          </div>
          <Splitter
            orientation="horizontal"
            label="Resize the results"
            value={sizes.results}
            min={120}
            max={900}
            direction={-1}
            onChange={(results) => resize({ results })}
          />
          <ResultsPanel
            controller={activeController}
            showInSql={(from, to) => editor.current?.select(from, to)}
            showFinding={(start, end) => {
              const text = editor.current?.text() ?? "";
              editor.current?.select(utf16Offset(text, start), utf16Offset(text, end));
            }}
            openRun={openRun}
          />
        </main>
      </div>
      {snippets.dialogs}
      {account.element}
      {shortcutHelp}
      <Toasts />
    </div>
  );
}
