// "Save as": a title and a folder for the tab's SQL as a new snippet.
import { type FormEvent, useId, useState } from "react";
import { Dialog } from "../ui/Dialog";
import { FolderSelect, ROOT_VALUE } from "./FolderSelect";

export function SaveAsDialog({
  initialTitle,
  reason,
  onSave,
  onClose,
}: {
  initialTitle: string;
  /** Why it is asked (a conflict, a snippet that is gone), shown above the fields. */
  reason?: string;
  onSave: (title: string, folderId: string | null) => Promise<string | null>;
  onClose: () => void;
}) {
  const [title, setTitle] = useState(initialTitle);
  const [folder, setFolder] = useState(ROOT_VALUE);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const titleId = useId();
  const folderId = useId();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!title.trim()) {
      setProblem("Give the snippet a title.");
      return;
    }
    setBusy(true);
    const refusal = await onSave(title.trim(), folder === ROOT_VALUE ? null : folder);
    setBusy(false);
    if (refusal) setProblem(refusal);
    else onClose();
  };
  return (
    <Dialog title="Save as a new snippet" onClose={onClose} name="save-as">
      {reason && <p className="notice error">{reason}</p>}
      <form onSubmit={(event) => void submit(event)}>
        <div className="form-row">
          <label htmlFor={titleId}>Title</label>
          <input
            id={titleId}
            type="text"
            value={title}
            maxLength={200}
            data-autofocus=""
            aria-invalid={problem !== null}
            onChange={(event) => setTitle(event.target.value)}
          />
        </div>
        <div className="form-row">
          <label htmlFor={folderId}>Folder</label>
          <FolderSelect id={folderId} value={folder} onChange={setFolder} />
        </div>
        {problem && (
          <p className="field-error" role="alert">
            {problem}
          </p>
        )}
        <div className="dialog-actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={busy}>
            Save
          </button>
        </div>
      </form>
    </Dialog>
  );
}
