// Findings grouped by severity. Each names its column (a link to the column's row when the
// report shows one) and its place in the SQL (a link that selects it in the editor).
import { businessUnitLabel, type ProductionHost } from "../host";
import { type FindingLike, groupBySeverity, mergeAcrossBusinessUnits, placeOf } from "./grouping";

export function Findings({
  findings,
  host,
  label,
  showColumn,
  empty,
}: {
  findings: readonly FindingLike[];
  host: ProductionHost;
  label: string;
  /** Move to the column's row (a report's columns table). */
  showColumn?: (column: string) => void;
  empty?: string;
}) {
  const merged = mergeAcrossBusinessUnits(findings);
  const groups = groupBySeverity(merged);
  if (groups.length === 0) {
    return <p className="muted">{empty ?? "No findings."}</p>;
  }
  return (
    <section className="q-findings" aria-label={label}>
      {groups.map((group) => (
        <div
          key={group.severity}
          className={`q-group q-group-${group.severity.toLowerCase()}`}
          data-severity={group.severity}
        >
          <h4>{group.label}</h4>
          <ul>
            {group.items.map((f, index) => {
              const place = placeOf(f.range);
              return (
                <li key={`${f.code}-${index}`} data-code={f.code}>
                  <span className={`sev sev-${f.severity.toLowerCase()}`} aria-hidden="true">
                    {f.severity === "ERROR" ? "✖" : f.severity === "WARNING" ? "▲" : "ℹ"}
                  </span>
                  <div className="q-finding-body">
                    <p className="q-finding-message">{f.message}</p>
                    <p className="muted q-finding-meta">
                      <code>{f.code}</code>
                      {f.column &&
                        (showColumn ? (
                          <>
                            {" · "}
                            <button
                              type="button"
                              className="link"
                              onClick={() => showColumn(f.column!)}
                            >
                              column {f.column}
                            </button>
                          </>
                        ) : (
                          <span> · column {f.column}</span>
                        ))}
                      {place && f.range && (
                        <>
                          {" · "}
                          <button
                            type="button"
                            className="link"
                            data-action="show-in-sql"
                            onClick={() => host.showInSql(f.range!.start, f.range!.end)}
                          >
                            {place}
                          </button>
                        </>
                      )}
                      {f.mids.length > 0 && (
                        <span>
                          {" "}
                          · {f.mids.map((m) => businessUnitLabel(host.viewer, m)).join(", ")}
                        </span>
                      )}
                    </p>
                    {f.suggestion && <p className="q-finding-fix">{f.suggestion}</p>}
                    {f.mceMessage && (
                      <p className="muted q-finding-mce">
                        Marketing Cloud says: <q>{f.mceMessage}</q>
                      </p>
                    )}
                  </div>
                </li>
              );
            })}
          </ul>
        </div>
      ))}
    </section>
  );
}
