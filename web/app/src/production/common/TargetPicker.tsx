// Pick an existing data extension as a query activity's target: search as you type (the
// metadata search, typo-tolerant), arrows move through the hits, Enter picks. An ARIA combobox.
import { type KeyboardEvent, useEffect, useId, useState } from "react";
import { request } from "../../api/http";
import { describeProblem } from "../../api/problems";
import { ProductionTargetSearchQuery } from "./operations";

export interface PickedTarget {
  id: string;
  name: string;
  customerKey: string;
  shared: boolean;
}

interface Hit extends PickedTarget {
  detail: string;
}

export function TargetPicker({
  label,
  value,
  onPick,
  describedBy,
}: {
  label: string;
  value: PickedTarget | null;
  onPick: (target: PickedTarget) => void;
  describedBy?: string | undefined;
}) {
  const [text, setText] = useState(value?.name ?? "");
  const [hits, setHits] = useState<Hit[]>([]);
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);
  const [problem, setProblem] = useState<string | null>(null);
  const listId = useId();
  const inputId = useId();

  useEffect(() => {
    setText(value?.name ?? "");
  }, [value?.name]);

  useEffect(() => {
    const query = text.trim();
    if (!open || !query || query === value?.name) {
      setHits([]);
      return;
    }
    let current = true;
    const timer = setTimeout(() => {
      request(ProductionTargetSearchQuery, { query })
        .then((data) => {
          if (!current) return;
          setProblem(null);
          const found: Hit[] = [];
          for (const { node } of data.searchDataExtensions.edges) {
            const de = node.dataExtension;
            if (!de || found.some((h) => h.id === de.id)) continue;
            found.push({
              id: de.id,
              name: de.name,
              customerKey: de.customerKey,
              shared: de.shared,
              detail: `key ${de.customerKey} · ${de.fieldCount} fields${de.folder ? ` · ${de.folder.name}` : ""}${de.shared ? " · shared" : ""}`,
            });
          }
          setHits(found);
          setActive(0);
        })
        .catch((error) => current && setProblem(describeProblem(error)));
    }, 200);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [text, open, value?.name]);

  const pick = (hit: Hit) => {
    onPick({ id: hit.id, name: hit.name, customerKey: hit.customerKey, shared: hit.shared });
    setText(hit.name);
    setOpen(false);
    setHits([]);
  };

  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key === "ArrowDown" && hits.length) {
      event.preventDefault();
      setActive((a) => Math.min(hits.length - 1, a + 1));
    } else if (event.key === "ArrowUp" && hits.length) {
      event.preventDefault();
      setActive((a) => Math.max(0, a - 1));
    } else if (event.key === "Enter" && hits[active]) {
      event.preventDefault();
      pick(hits[active]);
    } else if (event.key === "Escape" && open && hits.length) {
      event.preventDefault();
      event.stopPropagation();
      setOpen(false);
    }
  };

  const expanded = open && hits.length > 0;
  return (
    <div className="target-picker">
      <label htmlFor={inputId}>{label}</label>
      <input
        id={inputId}
        type="text"
        role="combobox"
        aria-autocomplete="list"
        aria-expanded={expanded}
        aria-controls={listId}
        aria-activedescendant={expanded ? `${listId}-${active}` : undefined}
        aria-describedby={describedBy}
        autoComplete="off"
        placeholder="Search data extensions by name or key"
        value={text}
        data-field="target-search"
        onChange={(event) => {
          setText(event.target.value);
          setOpen(true);
        }}
        onFocus={() => setOpen(true)}
        onKeyDown={onKeyDown}
      />
      {value && (
        <p className="muted picked-target" data-field="picked-target">
          Target: <strong>{value.name}</strong> (key <code>{value.customerKey}</code>)
          {value.shared ? ", shared from the parent BU" : ""}
        </p>
      )}
      {problem && <p className="error">{problem}</p>}
      <ul
        id={listId}
        // biome-ignore lint/a11y/noNoninteractiveElementToInteractiveRole: the combobox's listbox
        role="listbox"
        aria-label={`${label}: matches`}
        className="picker-hits"
        hidden={!expanded}
      >
        {hits.map((hit, index) => (
          // biome-ignore lint/a11y/useKeyWithClickEvents lint/a11y/useFocusableInteractive: the input handles the keys (aria-activedescendant)
          <li
            key={hit.id}
            id={`${listId}-${index}`}
            // biome-ignore lint/a11y/noNoninteractiveElementToInteractiveRole: reached with the arrow keys (aria-activedescendant)
            role="option"
            aria-selected={index === active}
            className={index === active ? "active" : undefined}
            onMouseDown={(event) => event.preventDefault()}
            onClick={() => pick(hit)}
          >
            <span>{hit.name}</span>
            <span className="muted hit-detail">{hit.detail}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}
