// CodeMirror hosted in React: one EditorView, one EditorState per tab (switching tabs swaps the
// state, so each tab keeps its own undo history and selection).
import { EditorState } from "@codemirror/state";
import { EditorView } from "@codemirror/view";
import { forwardRef, useEffect, useImperativeHandle, useRef } from "react";
import { type EditorHooks, editorExtensions } from "./extensions";

export interface SqlEditorHandle {
  /** Insert text at the cursor (replacing the selection) and focus the editor. */
  insert(text: string): void;
  /** Replace the whole text (an undoable change). */
  replaceAll(text: string): void;
  focus(): void;
  text(): string;
  /** Select UTF-16 offsets `from` to `to`, scroll there and focus. */
  select(from: number, to: number): void;
}

interface Props {
  tabId: string;
  initialSql: () => string;
  hooks: EditorHooks;
}

export const SqlEditor = forwardRef<SqlEditorHandle, Props>(function SqlEditor(
  { tabId, initialSql, hooks },
  ref,
) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const states = useRef(new Map<string, EditorState>());
  const hooksRef = useRef(hooks);
  hooksRef.current = hooks;
  const extensions = useRef(editorExtensions(hooksRef));
  const currentTab = useRef(tabId);

  const stateFor = (id: string, text: () => string): EditorState => {
    const existing = states.current.get(id);
    if (existing) return existing;
    const created = EditorState.create({ doc: text(), extensions: extensions.current });
    states.current.set(id, created);
    return created;
  };

  // The view is made once; tab switches swap its state below.
  // biome-ignore lint/correctness/useExhaustiveDependencies: made once per mount
  useEffect(() => {
    if (!host.current) return;
    const editor = new EditorView({
      state: stateFor(currentTab.current, initialSql),
      parent: host.current,
    });
    view.current = editor;
    return () => {
      const current = view.current ?? editor;
      states.current.set(currentTab.current, current.state);
      current.destroy();
      view.current = null;
    };
  }, []);

  // A tab switch gives the new tab's state a view of its own. `EditorView.setState` keeps the
  // measure requests the old state's plugins queued (a tooltip's, say), and those then read
  // positions of the old document in the new one and crash when tabs are switched quickly;
  // destroying the view cancels them.
  // biome-ignore lint/correctness/useExhaustiveDependencies: keyed by the tab only
  useEffect(() => {
    const editor = view.current;
    if (!editor || !host.current || currentTab.current === tabId) return;
    const hadFocus = editor.hasFocus;
    states.current.set(currentTab.current, editor.state);
    editor.destroy();
    currentTab.current = tabId;
    const next = new EditorView({ state: stateFor(tabId, initialSql), parent: host.current });
    view.current = next;
    if (hadFocus) next.focus();
  }, [tabId]);

  useImperativeHandle(ref, () => ({
    insert(text: string) {
      const editor = view.current;
      if (!editor) return;
      editor.dispatch(editor.state.replaceSelection(text), { scrollIntoView: true });
      editor.focus();
    },
    replaceAll(text: string) {
      const editor = view.current;
      if (!editor) return;
      editor.dispatch({ changes: { from: 0, to: editor.state.doc.length, insert: text } });
    },
    focus() {
      view.current?.focus();
    },
    text() {
      return view.current?.state.doc.toString() ?? "";
    },
    select(from: number, to: number) {
      const editor = view.current;
      if (!editor) return;
      const length = editor.state.doc.length;
      editor.dispatch({
        selection: { anchor: Math.min(from, length), head: Math.min(to, length) },
        scrollIntoView: true,
      });
      editor.focus();
    },
  }));

  return <div className="editor-host" ref={host} />;
});
