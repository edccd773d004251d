// A data extension's fields (types, lengths, keys), row count and a preview of its first rows.
// Clicking its name or a field inserts it (bracketed) at the editor's cursor; both drag too.
import { useEffect, useState } from "react";
import { request } from "../api/http";
import { describeProblem } from "../api/problems";
import type { DataExtensionDetailsQuery, DataExtensionPreviewQuery } from "../gql/graphql";
import { formatCell } from "../results/format";
import { bracketed, typeLabel } from "./highlight";
import {
  DataExtensionDetailsQuery as DetailsDocument,
  DataExtensionPreviewQuery as PreviewDocument,
} from "./operations";

type Details = NonNullable<DataExtensionDetailsQuery["dataExtension"]>;
type Preview = NonNullable<DataExtensionPreviewQuery["dataExtension"]>["rows"];

export function DataExtensionDetails({
  customerKey,
  insert,
  onClose,
}: {
  customerKey: string;
  insert: (text: string) => void;
  onClose: () => void;
}) {
  const [details, setDetails] = useState<Details | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [preview, setPreview] = useState<Preview | null>(null);
  const [previewProblem, setPreviewProblem] = useState<string | null>(null);
  const [loadingPreview, setLoadingPreview] = useState(false);

  useEffect(() => {
    let current = true;
    setDetails(null);
    setPreview(null);
    setProblem(null);
    request(DetailsDocument, { key: customerKey })
      .then((data) => {
        if (!current) return;
        if (data.dataExtension) setDetails(data.dataExtension);
        else setProblem("This data extension is not visible from this business unit any more.");
      })
      .catch((error) => current && setProblem(describeProblem(error)));
    return () => {
      current = false;
    };
  }, [customerKey]);

  const loadPreview = async () => {
    setLoadingPreview(true);
    setPreviewProblem(null);
    try {
      const data = await request(PreviewDocument, { key: customerKey });
      setPreview(data.dataExtension?.rows ?? null);
    } catch (error) {
      setPreviewProblem(describeProblem(error));
    } finally {
      setLoadingPreview(false);
    }
  };

  if (problem) return <p className="panel-note error">{problem}</p>;
  if (!details) return <p className="panel-note muted">Loading fields…</p>;
  return (
    <section className="details" aria-label={`Data extension ${details.name}`}>
      <div className="details-head">
        <button
          type="button"
          className="insertable de-name"
          draggable
          onDragStart={(event) => event.dataTransfer.setData("text/plain", details.sqlName)}
          onClick={() => insert(details.sqlName)}
          title={`Insert ${details.sqlName} at the cursor`}
        >
          {details.name}
        </button>
        <button type="button" className="icon" aria-label="Close the details" onClick={onClose}>
          ×
        </button>
      </div>
      <p className="muted details-meta">
        <span data-field="row-count">{details.rowCount.count.toLocaleString()} rows</span>
        {" · "}
        {details.fieldCount} fields{details.shared ? " · shared (ENT.)" : ""}
        {details.isSendable ? " · sendable" : ""}
      </p>
      <ul className="fields" aria-label="Fields">
        {details.fields.map((field) => (
          <li key={field.name}>
            <button
              type="button"
              className="insertable field"
              draggable
              onDragStart={(event) =>
                event.dataTransfer.setData("text/plain", bracketed(field.name))
              }
              onClick={() => insert(bracketed(field.name))}
              title={`Insert ${bracketed(field.name)} at the cursor`}
              data-field-name={field.name}
            >
              <span className="field-name">{field.name}</span>
              <span className="field-type">{typeLabel(field)}</span>
              {field.isPrimaryKey && (
                <span className="key" title="Primary key">
                  PK
                </span>
              )}
              {field.isRequired && !field.isPrimaryKey && (
                <span className="req" title="Required">
                  req
                </span>
              )}
            </button>
          </li>
        ))}
      </ul>
      {preview === null ? (
        <button
          type="button"
          onClick={() => void loadPreview()}
          disabled={loadingPreview}
          data-action="preview"
        >
          {loadingPreview ? "Reading rows…" : "Preview rows"}
        </button>
      ) : (
        <div className="preview" data-testid="de-preview">
          <table>
            <caption className="muted">
              First {Array.isArray(preview.rows) ? preview.rows.length : 0} of{" "}
              {preview.totalRows.toLocaleString()} rows
            </caption>
            <thead>
              <tr>
                {preview.fields.map((f) => (
                  <th key={f.name} scope="col">
                    {f.name}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {(preview.rows as unknown[][]).map((row, r) => (
                <tr key={r}>
                  {preview.fields.map((f, c) => {
                    const cell = formatCell(row[c], f.fieldType);
                    return (
                      <td key={f.name} className={cell.kind}>
                        {cell.text}
                      </td>
                    );
                  })}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {previewProblem && <p className="panel-note error">{previewProblem}</p>}
    </section>
  );
}
