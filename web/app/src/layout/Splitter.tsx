// A resize handle between two panes: drag it, or focus it and use the arrow keys.
import type { KeyboardEvent, PointerEvent } from "react";

interface Props {
  orientation: "vertical" | "horizontal";
  label: string;
  value: number;
  min: number;
  max: number;
  onChange: (value: number) => void;
  /** +1 when moving the pointer right/down grows the value, -1 when it shrinks it. */
  direction?: 1 | -1;
}

export function Splitter({ orientation, label, value, min, max, onChange, direction = 1 }: Props) {
  const clamp = (v: number) => Math.round(Math.max(min, Math.min(max, v)));
  const onPointerDown = (event: PointerEvent<HTMLDivElement>) => {
    event.preventDefault();
    const target = event.currentTarget;
    target.setPointerCapture(event.pointerId);
    const start = orientation === "vertical" ? event.clientX : event.clientY;
    const initial = value;
    const move = (e: globalThis.PointerEvent) => {
      const now = orientation === "vertical" ? e.clientX : e.clientY;
      onChange(clamp(initial + direction * (now - start)));
    };
    const up = () => {
      target.removeEventListener("pointermove", move);
      target.removeEventListener("pointerup", up);
    };
    target.addEventListener("pointermove", move);
    target.addEventListener("pointerup", up);
  };
  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    const step = event.shiftKey ? 64 : 16;
    const grow = orientation === "vertical" ? "ArrowRight" : "ArrowDown";
    const shrink = orientation === "vertical" ? "ArrowLeft" : "ArrowUp";
    if (event.key === grow) onChange(clamp(value + direction * step));
    else if (event.key === shrink) onChange(clamp(value - direction * step));
    else if (event.key === "Home") onChange(min);
    else if (event.key === "End") onChange(max);
    else return;
    event.preventDefault();
  };
  return (
    // biome-ignore lint/a11y/useSemanticElements: a focusable, keyboard-resizable separator has no native element
    <div
      role="separator"
      tabIndex={0}
      aria-label={label}
      aria-orientation={orientation}
      aria-valuenow={value}
      aria-valuemin={min}
      aria-valuemax={max}
      className={`splitter splitter-${orientation}`}
      onPointerDown={onPointerDown}
      onKeyDown={onKeyDown}
    />
  );
}
