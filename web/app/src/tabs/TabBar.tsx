// The editor's tabs: a tablist (arrow keys move between tabs), each marked when changed.
import type { KeyboardEvent } from "react";
import { isDirty, type Tab } from "./store";

interface Props {
  tabs: readonly Tab[];
  activeId: string;
  running: (tabId: string) => boolean;
  onActivate: (id: string) => void;
  onClose: (id: string) => void;
  onNew: () => void;
}

export function TabBar({ tabs, activeId, running, onActivate, onClose, onNew }: Props) {
  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    const index = tabs.findIndex((t) => t.id === activeId);
    let next = index;
    if (event.key === "ArrowRight") next = (index + 1) % tabs.length;
    else if (event.key === "ArrowLeft") next = (index - 1 + tabs.length) % tabs.length;
    else if (event.key === "Home") next = 0;
    else if (event.key === "End") next = tabs.length - 1;
    else return;
    event.preventDefault();
    const tab = tabs[next];
    if (tab) {
      onActivate(tab.id);
      document.getElementById(`tab-${tab.id}`)?.focus();
    }
  };
  return (
    <div className="tabbar">
      <div role="tablist" aria-label="Queries" className="tabs" onKeyDown={onKeyDown}>
        {tabs.map((tab) => {
          const selected = tab.id === activeId;
          const dirty = isDirty(tab);
          return (
            <div
              key={tab.id}
              className={`tab${selected ? " selected" : ""}`}
              data-tab-title={tab.title}
            >
              <button
                type="button"
                role="tab"
                id={`tab-${tab.id}`}
                aria-selected={selected}
                aria-controls="editor-panel"
                tabIndex={selected ? 0 : -1}
                onClick={() => onActivate(tab.id)}
                onKeyDown={(event) => {
                  if (event.key === "Delete") {
                    event.preventDefault();
                    onClose(tab.id);
                  }
                }}
                title={`${dirty ? `${tab.title} (changed)` : tab.title}; Delete closes it`}
              >
                {running(tab.id) && <span className="spinner" role="img" aria-label="running" />}
                <span className="tab-title">{tab.title}</span>
                {dirty && (
                  <span className="dirty" role="img" aria-label="changed" data-field="dirty">
                    ●
                  </span>
                )}
              </button>
              {/* For the mouse; the keyboard closes the focused tab with Delete. */}
              <button
                type="button"
                className="icon tab-close"
                aria-hidden="true"
                tabIndex={-1}
                title={`Close ${tab.title}`}
                onClick={() => onClose(tab.id)}
              >
                ×
              </button>
            </div>
          );
        })}
      </div>
      <button
        type="button"
        className="icon"
        aria-label="New query tab"
        onClick={onNew}
        data-action="new-tab"
      >
        +
      </button>
    </div>
  );
}
