import { useSyncExternalStore } from "react";
import { toaster } from "./toasts";
import "./ui.css";

/** The page's notes, announced politely to screen readers. */
export function Toasts() {
  const toasts = useSyncExternalStore(toaster.subscribe, toaster.getSnapshot);
  return (
    <section className="toasts" aria-label="Notifications">
      <div role="status" aria-live="polite">
        {toasts.map((toast) => (
          <div key={toast.id} className="toast" data-toast={toast.id}>
            <span className="toast-text">{toast.text}</span>
            {toast.action && (
              <button type="button" className="toast-action" onClick={() => toaster.act(toast.id)}>
                {toast.action.label}
              </button>
            )}
            <button
              type="button"
              className="icon"
              aria-label="Dismiss"
              onClick={() => toaster.dismiss(toast.id)}
            >
              ×
            </button>
          </div>
        ))}
      </div>
    </section>
  );
}
