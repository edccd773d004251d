// The trash: deleted snippets, most recently deleted first, each with the day it is purged
// (30 days after deletion) and a way back.
import { formatDate, formatDateTime, fromNow } from "../ui/dates";
import type { LibrarySnapshot } from "./library";

export function Trash({
  snapshot,
  restore,
}: {
  snapshot: LibrarySnapshot;
  restore: (id: string) => void;
}) {
  const { items, problem } = snapshot.trash;
  if (problem) return <p className="panel-note error">{problem}</p>;
  if (items === null) return <p className="panel-note muted">Loading the trash…</p>;
  if (items.length === 0) return <p className="panel-note muted">The trash is empty.</p>;
  return (
    <ul className="trash" aria-label="Deleted snippets">
      {items.map((item) => (
        <li key={item.id} className="trash-item" data-trash={item.title}>
          <div className="trash-text">
            <span className="lib-name">{item.title}</span>
            <span className="muted trash-when">
              Deleted {formatDateTime(item.deletedAt)}
              <br />
              <span data-field="purge-at">
                Purged{" "}
                {item.purgeAt ? `${formatDate(item.purgeAt)} (${fromNow(item.purgeAt)})` : "soon"}
              </span>
            </span>
          </div>
          <button
            type="button"
            onClick={() => restore(item.id)}
            aria-label={`Restore ${item.title}`}
          >
            Restore
          </button>
        </li>
      ))}
    </ul>
  );
}
