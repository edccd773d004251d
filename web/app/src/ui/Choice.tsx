// Asking a question with a few answers (save or discard, confirm a removal) and waiting for
// the answer: `const [ask, element] = useChoice()`, then `await ask({...})`; render `element`.
import { type ReactNode, useCallback, useState } from "react";
import { Dialog } from "./Dialog";

export interface Choice<T extends string> {
  value: T;
  label: string;
  tone?: "primary" | "danger";
}

export interface Question<T extends string> {
  title: string;
  message: ReactNode;
  choices: Choice<T>[];
  name?: string;
}

interface Pending {
  question: Question<string>;
  resolve: (answer: string | null) => void;
}

export function useChoice(): [
  <T extends string>(question: Question<T>) => Promise<T | null>,
  ReactNode,
] {
  const [pending, setPending] = useState<Pending | null>(null);
  const ask = useCallback(
    <T extends string>(question: Question<T>) =>
      new Promise<T | null>((resolve) => {
        setPending({
          question: question as Question<string>,
          resolve: resolve as (answer: string | null) => void,
        });
      }),
    [],
  );
  const answer = (value: string | null) => {
    pending?.resolve(value);
    setPending(null);
  };
  const element = pending && (
    <Dialog
      title={pending.question.title}
      onClose={() => answer(null)}
      name={pending.question.name}
    >
      <div className="dialog-message">{pending.question.message}</div>
      <div className="dialog-actions">
        {pending.question.choices.map((choice, index) => (
          <button
            key={choice.value}
            type="button"
            className={choice.tone ?? ""}
            data-choice={choice.value}
            data-autofocus={index === 0 ? "" : undefined}
            onClick={() => answer(choice.value)}
          >
            {choice.label}
          </button>
        ))}
      </div>
    </Dialog>
  );
  return [ask, element];
}
