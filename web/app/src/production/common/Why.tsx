// Why a choice was made: a small button whose tooltip (the reason) shows on hover and on focus;
// the reason also describes the button for screen readers.
import { useId } from "react";

export function Why({ reason, label }: { reason: string; label: string }) {
  const id = useId();
  if (!reason) return null;
  return (
    <span className="why">
      <button
        type="button"
        className="why-button"
        aria-label={`Why: ${label}`}
        aria-describedby={id}
      >
        ?
      </button>
      <span role="tooltip" id={id} className="why-tip">
        {reason}
      </span>
    </span>
  );
}
