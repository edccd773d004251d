// "Move to…": the keyboard's way to do what dragging does in the tree.
import { type FormEvent, useId, useState } from "react";
import { Dialog } from "../ui/Dialog";
import { FolderSelect, ROOT_VALUE } from "./FolderSelect";

export function MoveDialog({
  what,
  current,
  folderToMove,
  onMove,
  onClose,
}: {
  what: string;
  current: string | null;
  folderToMove?: string;
  onMove: (folderId: string | null) => Promise<string | null>;
  onClose: () => void;
}) {
  const [target, setTarget] = useState(current ?? ROOT_VALUE);
  const [problem, setProblem] = useState<string | null>(null);
  const id = useId();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const refusal = await onMove(target === ROOT_VALUE ? null : target);
    if (refusal) setProblem(refusal);
    else onClose();
  };
  return (
    <Dialog title={`Move “${what}”`} onClose={onClose} name="move">
      <form onSubmit={(event) => void submit(event)}>
        <div className="form-row">
          <label htmlFor={id}>Move to</label>
          <FolderSelect id={id} value={target} onChange={setTarget} exclude={folderToMove} />
          {problem && (
            <span className="field-error" role="alert">
              {problem}
            </span>
          )}
        </div>
        <div className="dialog-actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="primary">
            Move
          </button>
        </div>
      </form>
    </Dialog>
  );
}
