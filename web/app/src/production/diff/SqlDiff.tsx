// A SQL diff as a table: each line marked removed (only in what Quarry deployed), added (only
// in Marketing Cloud) or unchanged, with its line numbers on both sides.
import { parseUnifiedDiff } from "./unified";

export function SqlDiff({ diff, label }: { diff: string; label: string }) {
  const parsed = parseUnifiedDiff(diff);
  if (parsed.lines.length === 0) return <p className="muted">The SQL is the same on both sides.</p>;
  return (
    <figure className="sql-diff" data-field="sql-diff">
      <figcaption className="muted">
        <span className="diff-removed-key">− {parsed.oldLabel || "deployed"}</span>{" "}
        <span className="diff-added-key">+ {parsed.newLabel || "in Marketing Cloud"}</span> (
        {parsed.removed} removed, {parsed.added} added)
      </figcaption>
      <table aria-label={label}>
        <thead className="visually-hidden">
          <tr>
            <th scope="col">Deployed line</th>
            <th scope="col">Marketing Cloud line</th>
            <th scope="col">Change</th>
            <th scope="col">Text</th>
          </tr>
        </thead>
        <tbody>
          {parsed.lines.map((line, i) => (
            <tr key={i} className={`diff-${line.kind}`} data-kind={line.kind}>
              <td className="diff-num">{line.oldLine ?? ""}</td>
              <td className="diff-num">{line.newLine ?? ""}</td>
              <td className="diff-sign">
                {line.kind === "removed" ? (
                  <>
                    <span aria-hidden="true">−</span>
                    <span className="visually-hidden">removed</span>
                  </>
                ) : line.kind === "added" ? (
                  <>
                    <span aria-hidden="true">+</span>
                    <span className="visually-hidden">added</span>
                  </>
                ) : (
                  ""
                )}
              </td>
              <td className="diff-text">{line.text}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}
