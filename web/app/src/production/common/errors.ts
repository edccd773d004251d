// User errors (and warnings) by the input path they name (`name`, `fields.3.length`), so each
// can be shown next to its control; those naming no known control are shown at the top.

export interface Problem {
  code: string;
  message: string;
  field: string | null;
  /** Warnings let the action go ahead; errors stop it. */
  severity: "error" | "warning";
}

export type ProblemsByPath = ReadonlyMap<string, readonly Problem[]>;

export function byPath(problems: readonly Problem[]): ProblemsByPath {
  const map = new Map<string, Problem[]>();
  for (const problem of problems) {
    const path = problem.field ?? "";
    const list = map.get(path);
    if (list) list.push(problem);
    else map.set(path, [problem]);
  }
  return map;
}

/** Problems whose path is not one of `shown` (shown apart, at the top of the form). */
export function unplaced(
  problems: readonly Problem[],
  shown: (path: string) => boolean,
): Problem[] {
  return problems.filter((p) => p.field === null || !shown(p.field));
}

/** The problems of the API's `userErrors` / `warnings` lists. */
export function problemsOf(
  errors: readonly { code: string; message: string; field: string | null }[],
  severity: Problem["severity"],
): Problem[] {
  return errors.map((e) => ({ code: e.code, message: e.message, field: e.field, severity }));
}

/** A DOM id for the messages of one path (aria-describedby). */
export function messageId(scope: string, path: string): string {
  return `${scope}-msg-${path.replace(/[^A-Za-z0-9_-]/g, "_") || "form"}`;
}
