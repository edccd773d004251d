// A labelled control: its label (with a required marker), an optional hint, and the messages
// about its value (errors and warnings). The control itself is the caller's (an input, a
// select, an input with a button beside it): `control` gets the props that tie it to the rest
// (id, aria-describedby naming the hint and the messages, aria-invalid while an error is
// shown, aria-required) and spreads them on the element.
import type { ReactNode } from "react";
import "./ui.css";

export interface FieldMessage {
  message: string;
  /** An error makes the control invalid; a warning only describes it. */
  severity: "error" | "warning";
}

export interface ControlProps {
  id: string;
  "aria-describedby"?: string;
  "aria-invalid"?: true;
  "aria-required"?: true;
}

/** The DOM ids of a field's hint and messages. */
export function fieldIds(id: string): { hint: string; messages: string } {
  return { hint: `${id}-hint`, messages: `${id}-messages` };
}

/** The props a field's control carries. */
export function controlProps({
  id,
  hint,
  messages,
  required,
}: {
  id: string;
  hint: boolean;
  messages: readonly FieldMessage[];
  required: boolean;
}): ControlProps {
  const ids = fieldIds(id);
  const describedBy = [hint ? ids.hint : null, messages.length > 0 ? ids.messages : null]
    .filter((part) => part !== null)
    .join(" ");
  return {
    id,
    ...(describedBy ? { "aria-describedby": describedBy } : {}),
    ...(messages.some((m) => m.severity === "error") ? { "aria-invalid": true } : {}),
    ...(required ? { "aria-required": true } : {}),
  };
}

export interface FieldProps {
  /** The control's id (the label's `for`); the hint's and messages' ids derive from it. */
  id: string;
  label: ReactNode;
  control: (props: ControlProps) => ReactNode;
  hint?: ReactNode;
  messages?: readonly FieldMessage[] | undefined;
  required?: boolean;
  /** More classes for the field's box (its place in a grid, say). */
  className?: string;
  /** What the messages are about (`data-path`), e.g. the API's input path. */
  path?: string;
  /** Shown below the messages (a picker opened from the field, say). */
  children?: ReactNode;
}

export function Field({
  id,
  label,
  control,
  hint,
  messages = [],
  required = false,
  className,
  path,
  children,
}: FieldProps) {
  const ids = fieldIds(id);
  return (
    <div className={className ? `q-field ${className}` : "q-field"}>
      <label htmlFor={id} className={required ? "q-required" : undefined}>
        {label}
      </label>
      {control(controlProps({ id, hint: hint !== undefined, messages, required }))}
      {hint !== undefined && (
        <span className="muted q-hint" id={ids.hint}>
          {hint}
        </span>
      )}
      <FieldMessages id={ids.messages} messages={messages} path={path} />
      {children}
    </div>
  );
}

/** A field whose control is a one-line input, the common case. */
export function TextField({
  value,
  onChange,
  type = "text",
  placeholder,
  maxLength,
  inputMode,
  inputClassName,
  autoFocus = false,
  ...field
}: Omit<FieldProps, "control"> & {
  value: string;
  onChange: (value: string) => void;
  type?: "text" | "datetime-local";
  placeholder?: string;
  maxLength?: number;
  inputMode?: "numeric";
  inputClassName?: string;
  /** The dialog focuses it first (`data-autofocus`). */
  autoFocus?: boolean;
}) {
  return (
    <Field
      {...field}
      control={(props) => (
        <input
          {...props}
          type={type}
          value={value}
          placeholder={placeholder}
          maxLength={maxLength}
          inputMode={inputMode}
          className={inputClassName}
          data-autofocus={autoFocus || undefined}
          onChange={(e) => onChange(e.target.value)}
        />
      )}
    />
  );
}

/** Messages about a value (errors and warnings), each said with its severity. */
export function FieldMessages({
  id,
  messages,
  path,
}: {
  id: string;
  messages: readonly FieldMessage[];
  path?: string | undefined;
}) {
  if (messages.length === 0) return null;
  return (
    <ul className="q-messages" id={id} data-path={path}>
      {messages.map((m, index) => (
        <li key={`${m.severity}-${index}`} className={`q-${m.severity}`}>
          <span className="visually-hidden">
            {m.severity === "error" ? "Error: " : "Warning: "}
          </span>
          {m.message}
        </li>
      ))}
    </ul>
  );
}
