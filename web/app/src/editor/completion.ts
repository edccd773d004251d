// Completions from the API's sqlCompletions: tables after FROM/JOIN, columns after an alias,
// functions with their signatures. The API sees the whole text and the cursor; nothing about
// the BU's data extensions is shipped to the browser up front.
import type { Completion, CompletionContext, CompletionResult } from "@codemirror/autocomplete";
import type { SqlCompletionsQuery } from "../gql/graphql";
import { codePointOffset } from "./sqlText";

export type ApiCompletion = SqlCompletionsQuery["sqlCompletions"][number];
export type CompleteFn = (sql: string, offset: number) => Promise<readonly ApiCompletion[]>;

const TYPES: Record<ApiCompletion["kind"], string> = {
  TABLE: "class",
  DATA_VIEW: "interface",
  COLUMN: "property",
  FUNCTION: "function",
  KEYWORD: "keyword",
  ALIAS: "variable",
};

const BOOST: Record<ApiCompletion["kind"], number> = {
  COLUMN: 4,
  ALIAS: 3,
  TABLE: 2,
  DATA_VIEW: 2,
  FUNCTION: 1,
  KEYWORD: 0,
};

export function toCompletions(items: readonly ApiCompletion[]): Completion[] {
  return items.map((item, index) => ({
    label: item.label,
    apply: item.insertText,
    type: TYPES[item.kind],
    detail: item.detail ?? undefined,
    info: item.documentation ?? undefined,
    // Keep the API's order (best first) within a kind.
    boost: Math.max(-99, BOOST[item.kind] * 10 - Math.min(index, 9)),
  }));
}

/** The word being typed before the cursor: a plain or bracketed name, or nothing. */
export const WORD_BEFORE = /(?:\[[^\]\n]*|[\w#@$]*)$/;

export function apiCompletionSource(complete: CompleteFn) {
  return async (context: CompletionContext): Promise<CompletionResult | null> => {
    const word = context.matchBefore(WORD_BEFORE);
    const before = context.state.sliceDoc(Math.max(0, context.pos - 1), context.pos);
    const afterDot = before === ".";
    if (!context.explicit && !afterDot && (!word || word.from === word.to)) return null;
    const text = context.state.doc.toString();
    let items: readonly ApiCompletion[];
    try {
      items = await complete(text, codePointOffset(text, context.pos));
    } catch {
      return null;
    }
    if (context.aborted || items.length === 0) return null;
    return {
      from: word ? word.from : context.pos,
      options: toCompletions(items),
      validFor: /^[\w#@$]*$/,
    };
  };
}
