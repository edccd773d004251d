// A static pre-flight report: the verdict, the findings grouped by severity, how each output
// column maps to the target's fields, and who else writes into the target.
import { useRef } from "react";
import type { CheckQueryTargetQuery } from "../../gql/graphql";
import type { ProductionHost } from "../host";
import { Findings } from "./Findings";
import { verdict } from "./grouping";

export type PreflightReport = NonNullable<CheckQueryTargetQuery["checkQueryTarget"]["report"]>;

const LABELS: Record<string, string> = {
  TEXT: "Text",
  NUMBER: "Number",
  DECIMAL: "Decimal",
  DATE: "Date",
  BOOLEAN: "Boolean",
  EMAIL_ADDRESS: "EmailAddress",
  PHONE: "Phone",
  LOCALE: "Locale",
};

function typeText(f: {
  fieldType: string;
  maxLength?: number | null;
  precision?: number | null;
  scale?: number | null;
}): string {
  const type = LABELS[f.fieldType] ?? f.fieldType;
  if (f.precision !== null && f.precision !== undefined) {
    return `${type}(${f.precision}, ${f.scale ?? 0})`;
  }
  if (f.maxLength) return `${type}(${f.maxLength})`;
  return type;
}

export function Report({ report, host }: { report: PreflightReport; host: ProductionHost }) {
  const table = useRef<HTMLTableElement>(null);
  const showColumn = (column: string) => {
    const row = table.current?.querySelector<HTMLElement>(
      `[data-column="${CSS.escape(column.toLowerCase())}"]`,
    );
    if (!row) return;
    row.focus();
    row.scrollIntoView({ block: "nearest" });
  };
  const fields = new Map(report.target.fields.map((f) => [f.name.toLowerCase(), f]));
  const columns = new Map(report.columns.map((c) => [c.name.toLowerCase(), c]));
  const names = [
    ...new Set([...report.columns.map((c) => c.name.toLowerCase()), ...fields.keys()]),
  ];
  return (
    <div className="q-report" data-field="preflight-report">
      <p
        className={`q-verdict ${report.blocking ? "error" : report.needsAcknowledgement ? "warn" : "ok"}`}
        role="status"
      >
        {verdict(report.findings)}
      </p>
      <Findings
        findings={report.findings}
        host={host}
        label="Pre-flight findings"
        showColumn={showColumn}
      />
      <details className="q-details" open={report.findings.some((f) => f.column)}>
        <summary>
          Columns into <strong>{report.target.name}</strong> ({report.target.sqlName}
          {report.target.shared ? ", shared" : ""})
        </summary>
        <table className="q-table" ref={table} aria-label="Output columns and target fields">
          <thead>
            <tr>
              <th scope="col">Output column</th>
              <th scope="col">Inferred</th>
              <th scope="col">Target field</th>
              <th scope="col">Field type</th>
            </tr>
          </thead>
          <tbody>
            {names.map((name) => {
              const column = columns.get(name);
              const field = fields.get(name);
              return (
                <tr key={name} data-column={name} tabIndex={-1}>
                  <td>{column?.name ?? <span className="muted">not selected</span>}</td>
                  <td>
                    {column ? `${typeText(column)}${column.nullable ? ", may be NULL" : ""}` : ""}
                  </td>
                  <td>{field?.name ?? <span className="error">no such field</span>}</td>
                  <td>
                    {field ? typeText(field) : ""}
                    {field?.isPrimaryKey ? " · key" : field?.isRequired ? " · required" : ""}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </details>
      {report.usedBy.length > 0 && (
        <details className="q-details">
          <summary>
            Also writing into {report.target.name}: {report.usedBy.length} query{" "}
            {report.usedBy.length === 1 ? "activity" : "activities"}
          </summary>
          <ul>
            {report.usedBy.map((u) => (
              <li key={u.activityKey}>
                {u.activityName} ({u.updateType ?? "?"})
                {u.automations.length > 0 &&
                  ` · run by ${u.automations.map((a) => a.name).join(", ")}`}
              </li>
            ))}
          </ul>
        </details>
      )}
    </div>
  );
}
