// What the production screens need from the workbench around them: the viewer, the current
// tab's SQL, a way to point at a place in it, and a way to open SQL into a new tab.
import type { Viewer } from "../App";
import { utf16Offset } from "../editor/sqlText";

export interface ProductionHost {
  viewer: Viewer;
  /** The current tab's SQL, as the editor holds it now. */
  sql(): string;
  /** The current tab's title (names proposals and activities). */
  tabTitle(): string;
  /** Select code points `start` to `end` of the editor's text and focus it. */
  showInSql(start: number, end: number): void;
  /** Open SQL into a new tab. */
  openSql(title: string, sql: string): void;
}

/** "Name (MID n)" for a BU the viewer belongs to, or the MID alone. */
export function businessUnitLabel(viewer: Viewer, mid: string): string {
  const unit = viewer.availableBusinessUnits.find((bu) => bu.mid === mid);
  return unit ? `${unit.name} (MID ${mid})` : `MID ${mid}`;
}

interface EditorLike {
  text(): string;
  select(from: number, to: number): void;
}

interface TabsLike {
  active(): { title: string };
  open(tab: { title: string; sql: string }): unknown;
}

/** The host of a workbench: its editor (a ref, read when asked) and its tabs. */
export function workbenchHost(
  viewer: Viewer,
  editor: { readonly current: EditorLike | null },
  tabs: TabsLike,
): ProductionHost {
  return {
    viewer,
    sql: () => editor.current?.text() ?? "",
    tabTitle: () => tabs.active().title,
    showInSql: (start, end) => {
      const text = editor.current?.text() ?? "";
      editor.current?.select(utf16Offset(text, start), utf16Offset(text, end));
    },
    openSql: (title, sql) => {
      tabs.open({ title, sql });
    },
  };
}
