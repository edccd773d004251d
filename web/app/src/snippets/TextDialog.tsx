// One line of text to give (a folder's name, a snippet's new title), refused answers shown
// under the field with the API's reason.
import { type FormEvent, useId, useState } from "react";
import { Dialog } from "../ui/Dialog";

interface Props {
  title: string;
  label: string;
  initial: string;
  submitLabel: string;
  /** Resolves with a refusal's message, or null when done. */
  onSubmit: (value: string) => Promise<string | null>;
  onClose: () => void;
  maxLength: number;
  name?: string;
}

export function TextDialog({
  title,
  label,
  initial,
  submitLabel,
  onSubmit,
  onClose,
  maxLength,
  name,
}: Props) {
  const [value, setValue] = useState(initial);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const id = useId();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!value.trim()) {
      setProblem("Give it a name.");
      return;
    }
    setBusy(true);
    const refusal = await onSubmit(value.trim());
    setBusy(false);
    if (refusal) setProblem(refusal);
    else onClose();
  };
  return (
    <Dialog title={title} onClose={onClose} name={name}>
      <form onSubmit={(event) => void submit(event)} className="dialog-form">
        <div className="form-row">
          <label htmlFor={id}>{label}</label>
          <input
            id={id}
            type="text"
            value={value}
            maxLength={maxLength}
            data-autofocus=""
            aria-invalid={problem !== null}
            aria-describedby={problem ? `${id}-problem` : undefined}
            onChange={(event) => setValue(event.target.value)}
          />
          {problem && (
            <span id={`${id}-problem`} className="field-error" role="alert">
              {problem}
            </span>
          )}
        </div>
        <div className="dialog-actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={busy}>
            {submitLabel}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
