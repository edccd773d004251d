// The user errors and warnings of one input path, next to its control.
import { FieldMessages } from "../../ui/Field";
import { messageId, type Problem, type ProblemsByPath } from "./errors";

export function Messages({
  problems,
  path,
  scope,
}: {
  problems: ProblemsByPath;
  path: string;
  scope: string;
}) {
  return (
    <FieldMessages id={messageId(scope, path)} messages={problems.get(path) ?? []} path={path} />
  );
}

/** Props for a control described by its path's messages. */
export function describedBy(problems: ProblemsByPath, path: string, scope: string) {
  const list = problems.get(path);
  const hasError = !!list?.some((p: Problem) => p.severity === "error");
  return list && list.length > 0
    ? { "aria-describedby": messageId(scope, path), "aria-invalid": hasError || undefined }
    : {};
}

export function ProblemList({ problems, label }: { problems: readonly Problem[]; label: string }) {
  if (problems.length === 0) return null;
  return (
    <div className="q-problems" role="alert" aria-label={label}>
      <ul>
        {problems.map((problem, index) => (
          <li key={`${problem.code}-${index}`} className={`q-${problem.severity}`}>
            {problem.field && <code className="q-path">{problem.field}</code>} {problem.message}
          </li>
        ))}
      </ul>
    </div>
  );
}
