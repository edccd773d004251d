// The sidebar: search, then data extensions (lazy folder tree), data views and query
// activities; a picked data extension shows its fields, row count and preview; the BU's
// metadata sync at the bottom.
import { useCallback, useState } from "react";
import { request } from "../api/http";
import { describeProblem } from "../api/problems";
import { DataViews } from "./DataViews";
import { DataExtensionDetails } from "./Details";
import { QueryActivitySqlQuery } from "./operations";
import { type Hit, Search } from "./Search";
import { SyncStatus } from "./Sync";
import { FolderTree, type Leaf } from "./Tree";

export interface SidebarProps {
  insert: (text: string) => void;
  openQuery: (title: string, sql: string) => void;
}

type Section = "data" | "views" | "queries";

export function Sidebar({ insert, openQuery }: SidebarProps) {
  const [section, setSection] = useState<Section>("data");
  const [picked, setPicked] = useState<string | null>(null);
  const [view, setView] = useState<string | null>(null);
  const [note, setNote] = useState("");
  const [generation, setGeneration] = useState(0);
  const onSynced = useCallback(() => setGeneration((g) => g + 1), []);

  const openHit = (hit: Hit) => {
    if (hit.dataExtension) {
      setPicked(hit.dataExtension.customerKey);
      setSection("data");
    } else if (hit.dataView) {
      setView(hit.dataView.name);
      setSection("views");
    }
  };

  const openActivity = async (leaf: Leaf) => {
    setNote("");
    try {
      const data = await request(QueryActivitySqlQuery, { key: leaf.key });
      if (data.queryActivity) openQuery(data.queryActivity.name, data.queryActivity.sql);
      else setNote("That query activity is not visible any more.");
    } catch (error) {
      setNote(describeProblem(error));
    }
  };

  return (
    <nav className="sidebar" aria-label="Data and queries">
      <Search onOpen={openHit} />
      <div role="tablist" aria-label="Sidebar sections" className="mini-tabs sidebar-tabs">
        {(
          [
            ["data", "Data extensions"],
            ["views", "Data views"],
            ["queries", "Queries"],
          ] as const
        ).map(([id, label]) => (
          <button
            key={id}
            type="button"
            role="tab"
            aria-selected={section === id}
            onClick={() => setSection(id)}
          >
            {label}
          </button>
        ))}
      </div>
      <div className="sidebar-body" key={generation}>
        {section === "data" && (
          <>
            {picked && (
              <DataExtensionDetails
                customerKey={picked}
                insert={insert}
                onClose={() => setPicked(null)}
              />
            )}
            <FolderTree
              kind="DATA_EXTENSION"
              label="Data extension folders"
              onPick={(leaf) => setPicked(leaf.key)}
              empty={<p className="panel-note muted">No data extensions synced yet.</p>}
            />
          </>
        )}
        {section === "views" && <DataViews insert={insert} focus={view} />}
        {section === "queries" && (
          <>
            {note && <p className="panel-note error">{note}</p>}
            <p className="panel-note muted">Open a query activity into a new tab.</p>
            <FolderTree
              kind="QUERY_ACTIVITY"
              label="Query activity folders"
              onPick={(leaf) => void openActivity(leaf)}
              empty={<p className="panel-note muted">No query activities synced yet.</p>}
            />
          </>
        )}
      </div>
      <SyncStatus onSynced={onSynced} />
    </nav>
  );
}
