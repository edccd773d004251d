// Pick a folder of data extensions or query activities: a lazily loaded ARIA tree (a folder's
// children are asked for when it is first opened). Arrows move, Right/Left open and close,
// Enter or Space picks. The pick carries the folder's path under its root (what a deployment
// names in every BU) as well as its id.
import { type KeyboardEvent, useEffect, useState } from "react";
import { request } from "../../api/http";
import { describeProblem } from "../../api/problems";
import type { FolderContentType, ProductionFoldersQuery as FoldersData } from "../../gql/graphql";
import { ProductionFoldersQuery } from "./operations";

export interface PickedFolder {
  id: string;
  name: string;
  /** Names below the top folder ("Daily/Sales" as ["Daily", "Sales"]); [] for the top. */
  path: readonly string[];
}

interface Node {
  id: string;
  name: string;
}

async function children(kind: FolderContentType, parentId: string | null): Promise<Node[]> {
  const out: Node[] = [];
  let after: string | null = null;
  for (let page = 0; page < 10; page++) {
    const data: FoldersData = await request(ProductionFoldersQuery, {
      contentType: kind,
      parentId,
      after,
    });
    out.push(...data.folders.edges.map((e) => ({ id: e.node.id, name: e.node.name })));
    if (!data.folders.pageInfo.hasNextPage) break;
    after = data.folders.pageInfo.endCursor;
  }
  return out;
}

function onTreeKeys(event: KeyboardEvent<HTMLUListElement>) {
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
    for (const item of items) item.tabIndex = -1;
    items[next]!.tabIndex = 0;
    items[next]!.focus();
  }
}

function FolderItem({
  kind,
  node,
  trail,
  level,
  selectedId,
  onPick,
  first,
}: {
  kind: FolderContentType;
  node: Node;
  trail: readonly string[];
  level: number;
  selectedId: string | null;
  onPick: (folder: PickedFolder) => void;
  first: boolean;
}) {
  const [open, setOpen] = useState(false);
  const [kids, setKids] = useState<Node[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const path = level === 1 ? [] : [...trail, node.name];
  const toggle = async (want: boolean) => {
    setOpen(want);
    if (want && kids === null) {
      try {
        setKids(await children(kind, node.id));
      } catch (error) {
        setProblem(describeProblem(error));
      }
    }
  };
  const pick = () => onPick({ id: node.id, name: node.name, path });
  const selected = selectedId === node.id;
  return (
    <li
      role="treeitem"
      aria-level={level}
      aria-expanded={open}
      aria-selected={selected}
      tabIndex={first ? 0 : -1}
      data-folder={node.name}
      onKeyDown={(event) => {
        if (event.target !== event.currentTarget) return;
        if (event.key === "ArrowRight") {
          event.preventDefault();
          void toggle(true);
        } else if (event.key === "ArrowLeft") {
          event.preventDefault();
          setOpen(false);
        } else if (event.key === "Enter" || event.key === " ") {
          event.preventDefault();
          pick();
        }
      }}
      onClick={(event) => {
        event.stopPropagation();
        pick();
      }}
    >
      <span className={`picker-row${selected ? " picked" : ""}`}>
        <span
          className="caret"
          aria-hidden="true"
          onClick={(event) => {
            event.stopPropagation();
            void toggle(!open);
          }}
        >
          {open ? "▾" : "▸"}
        </span>
        <span>{node.name}</span>
      </span>
      {open && (
        // biome-ignore lint/a11y/useSemanticElements: an ARIA tree's group
        <ul role="group">
          {problem && <li className="error">{problem}</li>}
          {kids === null && !problem && <li className="muted">Loading…</li>}
          {kids?.length === 0 && <li className="muted">No folders inside.</li>}
          {kids?.map((kid) => (
            <FolderItem
              key={kid.id}
              kind={kind}
              node={kid}
              trail={path}
              level={level + 1}
              selectedId={selectedId}
              onPick={onPick}
              first={false}
            />
          ))}
        </ul>
      )}
    </li>
  );
}

export function FolderPicker({
  kind,
  label,
  selectedId,
  onPick,
}: {
  kind: FolderContentType;
  label: string;
  selectedId: string | null;
  onPick: (folder: PickedFolder) => void;
}) {
  const [roots, setRoots] = useState<Node[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  useEffect(() => {
    let current = true;
    children(kind, null)
      .then((found) => current && setRoots(found))
      .catch((error) => current && setProblem(describeProblem(error)));
    return () => {
      current = false;
    };
  }, [kind]);
  if (problem) return <p className="error">{problem}</p>;
  if (roots === null) return <p className="muted">Loading folders…</p>;
  return (
    // biome-ignore lint/a11y/noNoninteractiveElementToInteractiveRole: an ARIA tree
    <ul role="tree" aria-label={label} className="picker-tree" onKeyDown={onTreeKeys}>
      {roots.map((root, index) => (
        <FolderItem
          key={root.id}
          kind={kind}
          node={root}
          trail={[]}
          level={1}
          selectedId={selectedId}
          onPick={onPick}
          first={index === 0}
        />
      ))}
    </ul>
  );
}
