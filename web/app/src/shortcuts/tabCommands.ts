// Tab commands the shortcuts run that the tab bar has no button for.
import type { TabsStore } from "../tabs/store";

/** Activate the tab `step` places from the active one, wrapping around. */
export function cycleTab(store: Pick<TabsStore, "getSnapshot" | "activate">, step: number): void {
  const { tabs, activeId } = store.getSnapshot();
  if (tabs.length < 2) return;
  const index = Math.max(
    0,
    tabs.findIndex((t) => t.id === activeId),
  );
  const next = tabs[(index + step + tabs.length * 2) % tabs.length];
  if (next) store.activate(next.id);
}
