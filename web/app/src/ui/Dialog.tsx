// A modal dialog on the native <dialog> element: the browser traps focus, Escape closes it,
// and the rest of the page is inert while it is open. Rendered only while open: the parent
// mounts it to open it and unmounts it to close it.
import { type ReactNode, useEffect, useId, useRef } from "react";
import "./ui.css";

interface Props {
  title: string;
  onClose: () => void;
  children: ReactNode;
  /** "wide" for side-by-side content (a diff), "large" for a screen's worth (the account). */
  size?: "normal" | "wide" | "large";
  /** Set on the dialog element, for the browser tests and styling. */
  name?: string;
}

export function Dialog({ title, onClose, children, size = "normal", name }: Props) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog || dialog.open) return;
    dialog.showModal();
    // showModal focuses the first focusable element; a field marked data-autofocus goes first.
    dialog.querySelector<HTMLElement>("[data-autofocus]")?.focus();
  }, []);
  return (
    <dialog
      ref={ref}
      className={`dialog dialog-${size}`}
      aria-labelledby={titleId}
      data-dialog={name}
      onCancel={(event) => {
        event.preventDefault();
        onClose();
      }}
    >
      <div className="dialog-head">
        <h2 id={titleId}>{title}</h2>
        <button type="button" className="icon" aria-label="Close" onClick={onClose}>
          ×
        </button>
      </div>
      <div className="dialog-body">{children}</div>
    </dialog>
  );
}
