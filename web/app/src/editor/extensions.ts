// The editor's extensions, each one concern: T-SQL (MSSQL dialect) highlighting, API-backed
// completions and live validation, the run and format keys, theme and CSP nonce.
import {
  autocompletion,
  closeBrackets,
  closeBracketsKeymap,
  completionKeymap,
} from "@codemirror/autocomplete";
import { defaultKeymap, history, historyKeymap } from "@codemirror/commands";
import { MSSQL, sql } from "@codemirror/lang-sql";
import {
  bracketMatching,
  HighlightStyle,
  indentOnInput,
  syntaxHighlighting,
} from "@codemirror/language";
import { type Diagnostic, linter, lintGutter, lintKeymap } from "@codemirror/lint";
import { highlightSelectionMatches, searchKeymap } from "@codemirror/search";
import type { Extension } from "@codemirror/state";
import {
  drawSelection,
  EditorView,
  highlightActiveLine,
  highlightActiveLineGutter,
  type KeyBinding,
  keymap,
  lineNumbers,
  placeholder,
} from "@codemirror/view";
import { tags as t } from "@lezer/highlight";
import { cspNonce } from "../csp";
import { apiCompletionSource, type CompleteFn } from "./completion";
import { type Finding, toDiagnostics } from "./diagnostics";

export const LINT_DELAY_MS = 250;

/** CodeMirror's own keys the editor binds (the page's shortcuts keep clear of them). */
export const LIBRARY_KEYMAP: readonly KeyBinding[] = [
  ...closeBracketsKeymap,
  ...completionKeymap,
  ...defaultKeymap,
  ...searchKeymap,
  ...historyKeymap,
  ...lintKeymap,
];

export interface EditorHooks {
  complete: CompleteFn;
  validate: (sql: string) => Promise<readonly Finding[]>;
  change: (sql: string) => void;
  run: (sql: string) => void;
  format: () => void;
}

const highlight = HighlightStyle.define([
  { tag: t.keyword, color: "var(--syn-keyword)", fontWeight: "600" },
  { tag: [t.string, t.special(t.string)], color: "var(--syn-string)" },
  { tag: [t.number, t.bool, t.null], color: "var(--syn-number)" },
  {
    tag: [t.lineComment, t.blockComment, t.comment],
    color: "var(--syn-comment)",
    fontStyle: "italic",
  },
  { tag: [t.typeName, t.standard(t.name)], color: "var(--syn-type)" },
  { tag: [t.operator, t.punctuation], color: "var(--syn-punct)" },
  { tag: t.special(t.name), color: "var(--syn-name)" },
]);

const theme = EditorView.theme({
  "&": { height: "100%", fontSize: "13px", backgroundColor: "var(--panel)", color: "var(--text)" },
  ".cm-scroller": { fontFamily: "var(--mono)", lineHeight: "1.5" },
  ".cm-content": { caretColor: "var(--text)" },
  ".cm-gutters": { backgroundColor: "var(--panel-2)", color: "var(--muted)", border: "none" },
  ".cm-activeLine": { backgroundColor: "var(--active-line)" },
  ".cm-activeLineGutter": { backgroundColor: "var(--active-line)" },
  "&.cm-focused .cm-selectionBackground, .cm-selectionBackground": {
    backgroundColor: "var(--selection) !important",
  },
  "&.cm-focused": { outline: "none" },
  ".cm-tooltip": {
    backgroundColor: "var(--panel)",
    color: "var(--text)",
    border: "1px solid var(--border)",
  },
  ".cm-tooltip-autocomplete ul li[aria-selected]": {
    backgroundColor: "var(--accent)",
    color: "var(--accent-text)",
  },
  ".cm-diagnostic": { whiteSpace: "pre-wrap", maxWidth: "36rem" },
  ".cm-completionDetail": { color: "var(--muted)", marginLeft: "0.6em", fontStyle: "normal" },
  // The muted detail is unreadable on the selected option's accent (axe: color-contrast).
  ".cm-tooltip-autocomplete ul li[aria-selected] .cm-completionDetail": { color: "inherit" },
  ".cm-placeholder": { color: "var(--muted)" },
});

export function editorExtensions(hooks: { current: EditorHooks }): Extension[] {
  const runKey = (view: EditorView): boolean => {
    const { state } = view;
    const selected = state.selection.ranges
      .filter((range) => !range.empty)
      .map((range) => state.sliceDoc(range.from, range.to))
      .join("\n");
    hooks.current.run(selected.trim() ? selected : state.doc.toString());
    return true;
  };
  const lintSource = async (view: EditorView): Promise<Diagnostic[]> => {
    const text = view.state.doc.toString();
    if (!text.trim()) return [];
    try {
      return toDiagnostics(text, await hooks.current.validate(text));
    } catch {
      return [];
    }
  };
  return [
    EditorView.cspNonce.of(cspNonce()),
    lineNumbers(),
    highlightActiveLineGutter(),
    history(),
    drawSelection(),
    indentOnInput(),
    bracketMatching(),
    closeBrackets(),
    highlightActiveLine(),
    highlightSelectionMatches(),
    sql({ dialect: MSSQL, upperCaseKeywords: true }),
    syntaxHighlighting(highlight),
    autocompletion({
      override: [apiCompletionSource((text, offset) => hooks.current.complete(text, offset))],
      activateOnTyping: true,
      icons: false,
    }),
    linter(lintSource, { delay: LINT_DELAY_MS }),
    lintGutter(),
    placeholder("Write a SELECT, then press Ctrl+Enter (⌘+Enter) to run it"),
    keymap.of([
      { key: "Mod-Enter", run: runKey, preventDefault: true },
      {
        key: "Shift-Alt-f",
        run: () => {
          hooks.current.format();
          return true;
        },
      },
      ...LIBRARY_KEYMAP,
    ]),
    EditorView.updateListener.of((update) => {
      if (update.docChanged) hooks.current.change(update.state.doc.toString());
    }),
    EditorView.contentAttributes.of({ "aria-label": "SQL editor", "data-testid": "sql-editor" }),
    EditorView.lineWrapping,
    theme,
  ];
}
