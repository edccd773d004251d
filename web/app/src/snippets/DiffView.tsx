// Two versions side by side: unchanged lines on both sides, removed lines on the left, added
// on the right, changed lines next to each other. The diff itself is diff.ts.
import { useMemo } from "react";
import { diffLines, sideBySide, summarize } from "./diff";

export function DiffView({
  before,
  after,
  beforeLabel,
  afterLabel,
}: {
  before: string;
  after: string;
  beforeLabel: string;
  afterLabel: string;
}) {
  const { rows, summary } = useMemo(() => {
    const ops = diffLines(before, after);
    return { rows: sideBySide(ops), summary: summarize(ops) };
  }, [before, after]);
  return (
    <div className="diff">
      <p className="muted diff-summary" data-field="diff-summary">
        {summary.added === 0 && summary.removed === 0
          ? "No difference in the SQL."
          : `${summary.removed} line${summary.removed === 1 ? "" : "s"} removed, ${summary.added} added.`}
      </p>
      <div className="diff-scroll">
        <table className="diff-table" data-testid="snippet-diff">
          <caption className="visually-hidden">
            {beforeLabel} on the left, {afterLabel} on the right
          </caption>
          <thead>
            <tr>
              <th scope="col" className="diff-num">
                <span className="visually-hidden">Line</span>
              </th>
              <th scope="col">{beforeLabel}</th>
              <th scope="col" className="diff-num">
                <span className="visually-hidden">Line</span>
              </th>
              <th scope="col">{afterLabel}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row, index) => (
              <tr key={index} className={`diff-${row.kind}`} data-kind={row.kind}>
                <td className="diff-num">{row.left?.number ?? ""}</td>
                <td className={`diff-code${row.left ? "" : " diff-empty"}`}>
                  {row.left && row.kind !== "same" && (
                    <span className="visually-hidden">removed: </span>
                  )}
                  {row.left?.text ?? ""}
                </td>
                <td className="diff-num">{row.right?.number ?? ""}</td>
                <td className={`diff-code${row.right ? "" : " diff-empty"}`}>
                  {row.right && row.kind !== "same" && (
                    <span className="visually-hidden">added: </span>
                  )}
                  {row.right?.text ?? ""}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
