// A modal dialog: the native <dialog> shown with showModal() (the rest of the page is inert),
// Tab and Shift+Tab kept inside, Escape closes, focus returns to what opened it. Labelled by its
// title; its first control (or the one marked data-autofocus) gets focus.
//
// While the screens are parked (a finding's "show in SQL" selected a place in the editor), every
// dialog is closed but stays mounted with its state, and opens again when unparked.
import {
  createContext,
  type KeyboardEvent,
  type ReactNode,
  useContext,
  useEffect,
  useId,
  useRef,
  useState,
} from "react";

export const ParkedContext = createContext(false);

const FOCUSABLE =
  'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

function focusables(root: HTMLElement): HTMLElement[] {
  return Array.from(root.querySelectorAll<HTMLElement>(FOCUSABLE)).filter(
    (el) => el.closest("dialog") === root && el.getClientRects().length > 0,
  );
}

interface Props {
  title: string;
  onClose: () => void;
  children: ReactNode;
  /** A short line under the title (aria-describedby). */
  subtitle?: ReactNode;
  size?: "medium" | "wide" | "full";
  /** data-dialog, for people's tools and the browser tests. */
  name: string;
  footer?: ReactNode;
}

export function Dialog({
  title,
  onClose,
  children,
  subtitle,
  size = "medium",
  name,
  footer,
}: Props) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const subtitleId = useId();
  const onCloseRef = useRef(onClose);
  onCloseRef.current = onClose;
  const parked = useContext(ParkedContext);
  /** What the dialog focused by itself (content arriving later may take focus from it). */
  const autoFocused = useRef<Element | null>(null);

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    const onCancel = (event: Event) => {
      event.preventDefault();
      onCloseRef.current();
    };
    dialog.addEventListener("cancel", onCancel);
    return () => {
      dialog.removeEventListener("cancel", onCancel);
      if (dialog.open) dialog.close();
      if (opener?.isConnected) opener.focus();
    };
  }, []);

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (parked) {
      if (dialog.open) dialog.close();
      return;
    }
    if (!dialog.open) dialog.showModal();
    const body = dialog.querySelector<HTMLElement>(".q-dialog-body");
    const first =
      dialog.querySelector<HTMLElement>("[data-autofocus]") ??
      (body ? focusables(dialog).find((el) => body.contains(el)) : undefined) ??
      focusables(dialog)[0];
    first?.focus();
    autoFocused.current = first ?? null;
  }, [parked]);

  // Content that arrives later (a proposal, a result) brings its own first field: focus it when
  // focus is still where the dialog put it by itself (or nowhere).
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    const seen = new WeakSet<Element>();
    const observer = new MutationObserver(() => {
      const target = dialog.querySelector<HTMLElement>("[data-autofocus]");
      if (!target || seen.has(target) || !dialog.open) return;
      seen.add(target);
      const active = document.activeElement;
      const idle =
        active === null ||
        active === document.body ||
        active === dialog ||
        active === autoFocused.current;
      if (idle && target.closest("dialog") === dialog) {
        target.focus();
        autoFocused.current = target;
      }
    });
    observer.observe(dialog, { childList: true, subtree: true });
    return () => observer.disconnect();
  }, []);

  const onKeyDown = (event: KeyboardEvent<HTMLDialogElement>) => {
    if (event.key !== "Tab" || !ref.current || event.defaultPrevented) return;
    if ((event.target as HTMLElement).closest("dialog") !== ref.current) return;
    const items = focusables(ref.current);
    if (items.length === 0) return;
    const first = items[0]!;
    const last = items[items.length - 1]!;
    const active = document.activeElement;
    if (event.shiftKey && (active === first || !ref.current.contains(active))) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && (active === last || !ref.current.contains(active))) {
      event.preventDefault();
      first.focus();
    }
  };

  return (
    <dialog
      ref={ref}
      className={`q-dialog q-dialog-${size}`}
      aria-labelledby={titleId}
      aria-describedby={subtitle ? subtitleId : undefined}
      data-dialog={name}
      onKeyDown={onKeyDown}
    >
      <header className="q-dialog-head">
        <div className="q-dialog-titles">
          <h2 id={titleId}>{title}</h2>
          {subtitle && (
            <p id={subtitleId} className="muted q-dialog-subtitle">
              {subtitle}
            </p>
          )}
        </div>
        <button type="button" className="icon" aria-label={`Close ${title}`} onClick={onClose}>
          ×
        </button>
      </header>
      <div className="q-dialog-body">{children}</div>
      {footer && <footer className="q-dialog-foot">{footer}</footer>}
    </dialog>
  );
}

/** The current tab's SQL as the screen works on it: read when it opens, and again when it comes
 * back from being parked (the person may have edited it meanwhile). */
export function useHostSql(read: () => string): string {
  const parked = useContext(ParkedContext);
  const [sql, setSql] = useState(read);
  const readRef = useRef(read);
  readRef.current = read;
  useEffect(() => {
    if (!parked) setSql(readRef.current());
  }, [parked]);
  return sql;
}
