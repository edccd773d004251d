// The three ways a query activity writes into its target, with what each means.
import type { UpdateType } from "../../gql/graphql";

export const UPDATE_TYPES: readonly { value: UpdateType; label: string; meaning: string }[] = [
  {
    value: "OVERWRITE",
    label: "Overwrite",
    meaning: "The target is emptied, then filled with the query's rows.",
  },
  {
    value: "APPEND",
    label: "Append",
    meaning: "The rows are added; a primary-key value already in the target fails the activity.",
  },
  {
    value: "UPDATE",
    label: "Update",
    meaning: "Rows are inserted or updated by primary key (the target needs one).",
  },
];

export function UpdateTypeChoice({
  value,
  onChange,
  name,
}: {
  value: UpdateType;
  onChange: (value: UpdateType) => void;
  name: string;
}) {
  return (
    <fieldset className="q-fieldset update-types">
      <legend>Update type</legend>
      {UPDATE_TYPES.map((t) => (
        <label key={t.value} className="q-choice">
          <input
            type="radio"
            name={name}
            value={t.value}
            checked={value === t.value}
            onChange={() => onChange(t.value)}
          />
          <span>
            <strong>{t.label}</strong> <span className="muted">{t.meaning}</span>
          </span>
        </label>
      ))}
    </fieldset>
  );
}
