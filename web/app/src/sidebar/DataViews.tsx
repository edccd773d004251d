// Marketing Cloud's system data views with their columns; names and columns insert on click.
import { useEffect, useState } from "react";
import { request } from "../api/http";
import { describeProblem } from "../api/problems";
import type { DataViewsQuery } from "../gql/graphql";
import { bracketed, typeLabel } from "./highlight";
import { DataViewsQuery as DataViewsDocument } from "./operations";

type View = DataViewsQuery["dataViews"][number];

export function DataViews({
  insert,
  focus,
}: {
  insert: (text: string) => void;
  focus?: string | null;
}) {
  const [views, setViews] = useState<View[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [open, setOpen] = useState<string | null>(focus ?? null);
  useEffect(() => setOpen(focus ?? null), [focus]);
  useEffect(() => {
    request(DataViewsDocument, {})
      .then((data) => setViews(data.dataViews))
      .catch((error) => setProblem(describeProblem(error)));
  }, []);
  if (problem) return <p className="panel-note error">{problem}</p>;
  if (!views) return <p className="panel-note muted">Loading data views…</p>;
  return (
    <ul className="dataviews" aria-label="Data views">
      {views.map((view) => (
        <li key={view.name}>
          <div className="dv-row">
            <button
              type="button"
              className="icon"
              aria-expanded={open === view.name}
              aria-label={`${open === view.name ? "Hide" : "Show"} the columns of ${view.name}`}
              onClick={() => setOpen(open === view.name ? null : view.name)}
            >
              {open === view.name ? "▾" : "▸"}
            </button>
            <button
              type="button"
              className="insertable"
              draggable
              onDragStart={(event) => event.dataTransfer.setData("text/plain", view.name)}
              onClick={() => insert(view.name)}
              title={view.description}
            >
              {view.name}
            </button>
          </div>
          {open === view.name && (
            <ul className="fields">
              {view.columns.map((column) => (
                <li key={column.name}>
                  <button
                    type="button"
                    className="insertable field"
                    draggable
                    onDragStart={(event) =>
                      event.dataTransfer.setData("text/plain", bracketed(column.name))
                    }
                    onClick={() => insert(bracketed(column.name))}
                  >
                    <span className="field-name">{column.name}</span>
                    <span className="field-type">{typeLabel(column)}</span>
                  </button>
                </li>
              ))}
            </ul>
          )}
        </li>
      ))}
    </ul>
  );
}
