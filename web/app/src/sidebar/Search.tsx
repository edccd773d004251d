// Search data extensions and data views as you type: debounced, best first, matches
// highlighted; arrow keys move through the hits, Enter opens one.
import { type KeyboardEvent, useEffect, useState } from "react";
import { request } from "../api/http";
import { describeProblem } from "../api/problems";
import type { SearchDataExtensionsQuery } from "../gql/graphql";
import { highlightParts } from "./highlight";
import { SearchDataExtensionsQuery as SearchDocument } from "./operations";

export type Hit = SearchDataExtensionsQuery["searchDataExtensions"]["edges"][number]["node"];

export const SEARCH_DEBOUNCE_MS = 150;

export function Search({ onOpen }: { onOpen: (hit: Hit) => void }) {
  const [text, setText] = useState("");
  const [hits, setHits] = useState<Hit[] | null>(null);
  const [active, setActive] = useState(0);
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => {
    const query = text.trim();
    if (!query) {
      setHits(null);
      setProblem(null);
      return;
    }
    let current = true;
    const timer = setTimeout(() => {
      request(SearchDocument, { query: query.slice(0, 200) })
        .then((data) => {
          if (!current) return;
          setHits(data.searchDataExtensions.edges.map((e) => e.node));
          setActive(0);
          setProblem(null);
        })
        .catch((error) => current && setProblem(describeProblem(error)));
    }, SEARCH_DEBOUNCE_MS);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [text]);

  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    if (!hits || hits.length === 0) return;
    if (event.key === "ArrowDown") setActive((a) => Math.min(hits.length - 1, a + 1));
    else if (event.key === "ArrowUp") setActive((a) => Math.max(0, a - 1));
    else if (event.key === "Enter") {
      const hit = hits[active];
      if (hit) onOpen(hit);
    } else if (event.key === "Escape") setText("");
    else return;
    event.preventDefault();
  };

  const expanded = hits !== null;
  return (
    <div className="search">
      <input
        type="search"
        role="combobox"
        aria-label="Search data extensions and data views"
        aria-expanded={expanded}
        aria-controls="search-hits"
        aria-autocomplete="list"
        aria-activedescendant={expanded && hits.length > 0 ? `hit-${active}` : undefined}
        placeholder="Search data extensions, fields…"
        value={text}
        onChange={(event) => setText(event.target.value)}
        onKeyDown={onKeyDown}
        data-testid="de-search"
      />
      {problem && <p className="panel-note error">{problem}</p>}
      {expanded && (
        <ul id="search-hits" role="listbox" aria-label="Search results" className="hits">
          {hits.length === 0 && (
            <li role="option" aria-selected="false" aria-disabled="true" className="muted">
              Nothing found.
            </li>
          )}
          {hits.map((hit, index) => (
            <li
              key={`${hit.name}-${hit.matchedOn}-${index}`}
              id={`hit-${index}`}
              role="option"
              aria-selected={index === active}
              className={`hit${index === active ? " active" : ""}`}
              onMouseDown={(event) => event.preventDefault()}
              onClick={() => onOpen(hit)}
              onKeyDown={() => undefined}
            >
              <span className="hit-name">
                {(hit.matchedOn === "NAME"
                  ? highlightParts(hit.name, hit.highlights)
                  : [{ text: hit.name, marked: false }]
                ).map((part, i) =>
                  part.marked ? <mark key={i}>{part.text}</mark> : <span key={i}>{part.text}</span>,
                )}
              </span>
              <span className="hit-why muted">
                {hit.dataView ? "data view" : "data extension"}
                {hit.matchedOn !== "NAME" && (
                  <>
                    {" · "}
                    {hit.matchedOn === "FIELD" ? "field " : "key "}
                    {highlightParts(hit.matchedText, hit.highlights).map((part, i) =>
                      part.marked ? (
                        <mark key={i}>{part.text}</mark>
                      ) : (
                        <span key={i}>{part.text}</span>
                      ),
                    )}
                  </>
                )}
                {hit.quality === "FUZZY" && " · close match"}
              </span>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
