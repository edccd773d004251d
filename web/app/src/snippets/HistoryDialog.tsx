// A snippet's history: pick any two of its saved versions, see them side by side, and restore
// either (a restore saves the old content as the newest version, so it can be undone too).
import { useCallback, useEffect, useId, useState } from "react";
import { describeProblem } from "../api/problems";
import { Dialog } from "../ui/Dialog";
import { formatDateTime } from "../ui/dates";
import { readHistory, restoreVersion, type SnippetContent, type Version } from "./api";
import { DiffView } from "./DiffView";
import { explain } from "./library";

interface Props {
  snippetId: string;
  onRestored: (snippet: SnippetContent) => void;
  onClose: () => void;
}

export function HistoryDialog({ snippetId, onRestored, onClose }: Props) {
  const [versions, setVersions] = useState<Version[] | null>(null);
  const [current, setCurrent] = useState<SnippetContent | null>(null);
  const [left, setLeft] = useState<number | null>(null);
  const [right, setRight] = useState<number | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const leftId = useId();
  const rightId = useId();

  const load = useCallback(
    async (pick: "default" | "keep") => {
      try {
        const found = await readHistory(snippetId);
        if (!found.current) {
          setProblem("This snippet is not in your library any more.");
          return;
        }
        setCurrent(found.current);
        setVersions(found.versions);
        if (pick === "default") {
          setRight(found.versions[0]?.version ?? null);
          setLeft(found.versions[1]?.version ?? found.versions[0]?.version ?? null);
        }
      } catch (error) {
        setProblem(describeProblem(error));
      }
    },
    [snippetId],
  );

  useEffect(() => {
    void load("default");
  }, [load]);

  const restore = async (version: number) => {
    if (!current) return;
    setBusy(true);
    setNote(null);
    try {
      const result = await restoreVersion({
        id: snippetId,
        version,
        expectedVersion: current.version,
      });
      if (result.ok) {
        setNote(`Version ${version} restored as version ${result.value.version}.`);
        onRestored(result.value);
        await load("keep");
        setLeft(version);
        setRight(result.value.version);
      } else {
        setProblem(explain(result.code, result.message));
      }
    } catch (error) {
      setProblem(describeProblem(error));
    } finally {
      setBusy(false);
    }
  };

  const byVersion = (v: number | null) => versions?.find((x) => x.version === v) ?? null;
  const a = byVersion(left);
  const b = byVersion(right);
  const label = (v: Version) =>
    `Version ${v.version}${v.version === current?.version ? " (current)" : ""} · ${formatDateTime(v.createdAt)}`;

  const picker = (id: string, text: string, value: number | null, set: (v: number) => void) => (
    <div className="form-row history-pick">
      <label htmlFor={id}>{text}</label>
      <select id={id} value={value ?? ""} onChange={(event) => set(Number(event.target.value))}>
        {versions?.map((v) => (
          <option key={v.version} value={v.version}>
            {label(v)}
            {v.title !== current?.title ? ` — “${v.title}”` : ""}
          </option>
        ))}
      </select>
    </div>
  );

  return (
    <Dialog
      title={`History of “${current?.title ?? "snippet"}”`}
      onClose={onClose}
      size="wide"
      name="history"
    >
      {problem && (
        <p className="notice error" role="alert">
          {problem}
        </p>
      )}
      {note && (
        <p className="notice" role="status">
          {note}
        </p>
      )}
      {versions === null && !problem && <p className="muted">Loading the history…</p>}
      {versions && a && b && (
        <>
          <div className="history-picks">
            {picker(leftId, "Left", left, setLeft)}
            {picker(rightId, "Right", right, setRight)}
          </div>
          <div className="history-restore">
            <button
              type="button"
              disabled={busy || a.version === current?.version}
              onClick={() => void restore(a.version)}
              data-action="restore-left"
            >
              Restore version {a.version}
            </button>
            <button
              type="button"
              disabled={busy || b.version === current?.version}
              onClick={() => void restore(b.version)}
              data-action="restore-right"
            >
              Restore version {b.version}
            </button>
            <span className="muted">The history keeps the last 50 versions.</span>
          </div>
          <DiffView
            before={a.sql}
            after={b.sql}
            beforeLabel={`Version ${a.version}`}
            afterLabel={`Version ${b.version}`}
          />
        </>
      )}
    </Dialog>
  );
}
