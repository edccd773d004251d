// The user's recent runs in this BU: re-open one (its rows while they are kept).
import { useEffect, useState } from "react";
import { request } from "../api/http";
import { describeProblem } from "../api/problems";
import type { RunHistoryQuery } from "../gql/graphql";
import { RunHistoryQuery as RunHistoryDocument } from "./operations";

type HistoryRun = RunHistoryQuery["runs"]["edges"][number]["node"];

export function History({ onOpen }: { onOpen: (runId: string, sql: string) => void }) {
  const [runs, setRuns] = useState<HistoryRun[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    request(RunHistoryDocument, {})
      .then((data) => live && setRuns(data.runs.edges.map((e) => e.node)))
      .catch((error) => live && setProblem(describeProblem(error)));
    return () => {
      live = false;
    };
  }, []);
  if (problem) return <p className="panel-note error">{problem}</p>;
  if (!runs) return <p className="panel-note muted">Loading your runs…</p>;
  if (runs.length === 0)
    return <p className="panel-note muted">No runs in this business unit yet.</p>;
  const now = Date.now();
  return (
    <ul className="history" aria-label="Run history">
      {runs.map((run) => {
        const kept =
          run.expiresAt !== null && Date.parse(run.expiresAt) > now && run.status === "COMPLETE";
        return (
          <li key={run.id}>
            <button type="button" className="history-item" onClick={() => onOpen(run.id, run.sql)}>
              <span className={`badge status-${run.status.toLowerCase()}`}>
                {run.status.toLowerCase()}
              </span>
              <span className="history-sql">{run.sql.replace(/\s+/g, " ").slice(0, 160)}</span>
              <span className="muted">
                {new Date(run.queuedAt).toLocaleString()}
                {run.rowCount !== null ? ` · ${run.rowCount.toLocaleString()} rows` : ""}
                {kept ? " · results kept" : ""}
              </span>
            </button>
          </li>
        );
      })}
    </ul>
  );
}
