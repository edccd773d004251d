// The proposed fields as an editable table: name, type, length (a Decimal's precision), scale,
// nullable, key; each row's reason on hover or focus; each cell's problems beside it.
import type { SqlFieldType } from "../../gql/graphql";
import type { ProblemsByPath } from "../common/errors";
import { describedBy, Messages } from "../common/Messages";
import { Why } from "../common/Why";
import { FIELD_TYPES, type FieldRow, hasLength, withKey, withType } from "./form";

const SCOPE = "wizard";

export function FieldsTable({
  rows,
  problems,
  onChange,
}: {
  rows: readonly FieldRow[];
  problems: ProblemsByPath;
  onChange: (index: number, row: FieldRow, path: string) => void;
}) {
  return (
    <table className="q-table fields-table" aria-label="Fields">
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col">Type</th>
          <th scope="col">Length / precision</th>
          <th scope="col">Scale</th>
          <th scope="col">Nullable</th>
          <th scope="col">Key</th>
          <th scope="col">
            <span className="visually-hidden">Why</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {rows.map((row, i) => {
          const at = `fields.${i}`;
          const lengthPath = row.fieldType === "DECIMAL" ? `${at}.precision` : `${at}.length`;
          const flagged = [...problems.keys()].some((p) => p === at || p.startsWith(`${at}.`));
          const set = (next: FieldRow, path: string) => onChange(i, next, path);
          return (
            <tr
              key={i}
              data-row={i}
              data-field-row={row.name}
              className={flagged ? "flagged" : undefined}
            >
              <td>
                <input
                  type="text"
                  aria-label={`Field ${i + 1} name`}
                  value={row.name}
                  onChange={(e) => set({ ...row, name: e.target.value }, `${at}.name`)}
                  {...describedBy(problems, `${at}.name`, SCOPE)}
                />
                <Messages problems={problems} path={`${at}.name`} scope={SCOPE} />
                <Messages problems={problems} path={at} scope={SCOPE} />
              </td>
              <td>
                <select
                  aria-label={`${row.name || `Field ${i + 1}`} type`}
                  value={row.fieldType}
                  onChange={(e) =>
                    set(withType(row, e.target.value as SqlFieldType), `${at}.fieldType`)
                  }
                  {...describedBy(problems, `${at}.fieldType`, SCOPE)}
                >
                  {FIELD_TYPES.map((t) => (
                    <option key={t.value} value={t.value}>
                      {t.label}
                    </option>
                  ))}
                </select>
                <Messages problems={problems} path={`${at}.fieldType`} scope={SCOPE} />
              </td>
              <td>
                <input
                  type="text"
                  inputMode="numeric"
                  className="num-input"
                  aria-label={`${row.name || `Field ${i + 1}`} ${row.fieldType === "DECIMAL" ? "precision" : "length"}`}
                  value={row.length}
                  disabled={!hasLength(row.fieldType) && row.fieldType !== "DECIMAL"}
                  placeholder={
                    hasLength(row.fieldType) ? "default" : row.fieldType === "DECIMAL" ? "18" : "—"
                  }
                  onChange={(e) => set({ ...row, length: e.target.value }, lengthPath)}
                  {...describedBy(problems, lengthPath, SCOPE)}
                />
                <Messages problems={problems} path={`${at}.length`} scope={SCOPE} />
                <Messages problems={problems} path={`${at}.precision`} scope={SCOPE} />
              </td>
              <td>
                <input
                  type="text"
                  inputMode="numeric"
                  className="num-input"
                  aria-label={`${row.name || `Field ${i + 1}`} scale`}
                  value={row.scale}
                  disabled={row.fieldType !== "DECIMAL"}
                  placeholder={row.fieldType === "DECIMAL" ? "2" : "—"}
                  onChange={(e) => set({ ...row, scale: e.target.value }, `${at}.scale`)}
                  {...describedBy(problems, `${at}.scale`, SCOPE)}
                />
                <Messages problems={problems} path={`${at}.scale`} scope={SCOPE} />
              </td>
              <td>
                <input
                  type="checkbox"
                  aria-label={`${row.name || `Field ${i + 1}`} may be empty (nullable)`}
                  checked={row.nullable}
                  disabled={row.isPrimaryKey}
                  onChange={(e) => set({ ...row, nullable: e.target.checked }, `${at}.isRequired`)}
                  {...describedBy(problems, `${at}.isRequired`, SCOPE)}
                />
                <Messages problems={problems} path={`${at}.isRequired`} scope={SCOPE} />
              </td>
              <td>
                <input
                  type="checkbox"
                  aria-label={`${row.name || `Field ${i + 1}`} is part of the primary key`}
                  checked={row.isPrimaryKey}
                  onChange={(e) => set(withKey(row, e.target.checked), `${at}.isPrimaryKey`)}
                  {...describedBy(problems, `${at}.isPrimaryKey`, SCOPE)}
                />
                <Messages problems={problems} path={`${at}.isPrimaryKey`} scope={SCOPE} />
              </td>
              <td>
                <Why reason={row.reason} label={`${row.name || `field ${i + 1}`}'s proposal`} />
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
