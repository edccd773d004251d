// A lazily loaded tree of folders (data extensions or query activities): a folder's children
// are asked for when it is first opened. ARIA tree; arrows move, Right/Left open/close, Enter
// picks. Items can be dragged into the editor (their SQL name as text).
import { type KeyboardEvent, type ReactNode, useEffect, useState } from "react";
import { request } from "../api/http";
import { describeProblem } from "../api/problems";
import { FolderDataExtensionsQuery, FolderQueryActivitiesQuery, FoldersQuery } from "./operations";

export interface Leaf {
  id: string;
  name: string;
  key: string;
  /** What dragging it into the editor inserts. */
  sqlName?: string;
  detail?: string;
}

type Kind = "DATA_EXTENSION" | "QUERY_ACTIVITY";

interface Children {
  folders: { id: string; name: string }[];
  leaves: Leaf[];
}

async function loadChildren(kind: Kind, parentId: string | null): Promise<Children> {
  const folders = (await request(FoldersQuery, { contentType: kind, parentId })).folders.edges.map(
    (e) => e.node,
  );
  if (parentId === null) return { folders, leaves: [] };
  if (kind === "DATA_EXTENSION") {
    const data = await request(FolderDataExtensionsQuery, { folderId: parentId });
    return {
      folders,
      leaves: data.dataExtensions.edges.map(({ node }) => ({
        id: node.id,
        name: node.name,
        key: node.customerKey,
        sqlName: node.sqlName,
      })),
    };
  }
  const data = await request(FolderQueryActivitiesQuery, { folderId: parentId });
  return {
    folders,
    leaves: data.queryActivities.edges.map(({ node }) => ({
      id: node.id,
      name: node.name,
      key: node.customerKey,
      detail: node.targetName ? `→ ${node.targetName} (${node.updateType ?? ""})` : undefined,
    })),
  };
}

/** Move focus among the tree's visible items. */
function onTreeKeyDown(event: KeyboardEvent<HTMLUListElement>) {
  const items = Array.from(event.currentTarget.querySelectorAll<HTMLElement>('[role="treeitem"]'));
  const index = items.indexOf(document.activeElement as HTMLElement);
  if (index < 0) return;
  let next = -1;
  if (event.key === "ArrowDown") next = Math.min(items.length - 1, index + 1);
  else if (event.key === "ArrowUp") next = Math.max(0, index - 1);
  else if (event.key === "Home") next = 0;
  else if (event.key === "End") next = items.length - 1;
  if (next >= 0) {
    event.preventDefault();
    items[next]?.focus();
  }
}

function Folder({
  kind,
  id,
  name,
  level,
  onPick,
}: {
  kind: Kind;
  id: string;
  name: string;
  level: number;
  onPick: (leaf: Leaf) => void;
}) {
  const [open, setOpen] = useState(false);
  const [children, setChildren] = useState<Children | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const toggle = async (want = !open) => {
    setOpen(want);
    if (want && children === null) {
      try {
        setChildren(await loadChildren(kind, id));
      } catch (error) {
        setProblem(describeProblem(error));
      }
    }
  };
  return (
    <li
      role="treeitem"
      aria-expanded={open}
      aria-level={level}
      aria-label={name}
      tabIndex={-1}
      className="tree-folder"
      onKeyDown={(event) => {
        if (event.target !== event.currentTarget) return;
        if (event.key === "ArrowRight" || event.key === "Enter" || event.key === " ") {
          event.preventDefault();
          void toggle(event.key === "ArrowRight" ? true : !open);
        } else if (event.key === "ArrowLeft") {
          event.preventDefault();
          setOpen(false);
        }
      }}
    >
      <div className="tree-row" onClick={() => void toggle()} onKeyDown={() => undefined}>
        <span className="caret" aria-hidden="true">
          {open ? "▾" : "▸"}
        </span>
        <span className="folder-name">{name}</span>
      </div>
      {open && (
        <ul role="group">
          {problem && <li className="error">{problem}</li>}
          {children === null && !problem && <li className="muted tree-loading">Loading…</li>}
          {children?.folders.map((f) => (
            <Folder
              key={f.id}
              kind={kind}
              id={f.id}
              name={f.name}
              level={level + 1}
              onPick={onPick}
            />
          ))}
          {children?.leaves.map((leaf) => (
            <LeafItem key={leaf.id} leaf={leaf} level={level + 1} onPick={onPick} />
          ))}
          {children && children.folders.length === 0 && children.leaves.length === 0 && (
            <li className="muted tree-loading">Empty</li>
          )}
        </ul>
      )}
    </li>
  );
}

function LeafItem({
  leaf,
  level,
  onPick,
}: {
  leaf: Leaf;
  level: number;
  onPick: (leaf: Leaf) => void;
}) {
  return (
    <li
      role="treeitem"
      aria-level={level}
      aria-label={leaf.name}
      tabIndex={-1}
      className="tree-leaf"
      draggable={leaf.sqlName !== undefined}
      onDragStart={(event) => {
        if (leaf.sqlName) event.dataTransfer.setData("text/plain", leaf.sqlName);
      }}
      onClick={() => onPick(leaf)}
      onKeyDown={(event) => {
        if (event.key === "Enter" && event.target === event.currentTarget) {
          event.preventDefault();
          onPick(leaf);
        }
      }}
    >
      <span className="leaf-name">{leaf.name}</span>
      {leaf.detail && <span className="muted leaf-detail">{leaf.detail}</span>}
    </li>
  );
}

export function FolderTree({
  kind,
  label,
  onPick,
  empty,
}: {
  kind: Kind;
  label: string;
  onPick: (leaf: Leaf) => void;
  empty?: ReactNode;
}) {
  const [top, setTop] = useState<{ id: string; name: string }[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  useEffect(() => {
    let current = true;
    loadChildren(kind, null)
      .then((children) => current && setTop(children.folders))
      .catch((error) => current && setProblem(describeProblem(error)));
    return () => {
      current = false;
    };
  }, [kind]);
  if (problem) return <p className="panel-note error">{problem}</p>;
  if (top === null) return <p className="panel-note muted">Loading folders…</p>;
  if (top.length === 0) return <>{empty}</>;
  return (
    <ul
      role="tree"
      aria-label={label}
      className="tree"
      onKeyDown={onTreeKeyDown}
      onFocus={(event) => {
        // Roving focus: the first item takes Tab into the tree.
        if (event.target === event.currentTarget) {
          event.currentTarget.querySelector<HTMLElement>('[role="treeitem"]')?.focus();
        }
      }}
      tabIndex={0}
    >
      {top.map((f) => (
        <Folder key={f.id} kind={kind} id={f.id} name={f.name} level={1} onPick={onPick} />
      ))}
    </ul>
  );
}
