// Where in the SQL a run's error points: MCE's messages quote the name at fault
// ("Invalid column name 'Nme'."); its first occurrence in the SQL is where to look.

/** The UTF-16 range of the first name the message quotes that occurs in `sql`, or null. */
export function errorPosition(sql: string, message: string): { from: number; to: number } | null {
  const quoted = [...message.matchAll(/'([^']{1,128})'|"([^"]{1,128})"/g)].map(
    (m) => m[1] ?? m[2] ?? "",
  );
  for (const name of quoted) {
    if (!name.trim()) continue;
    const bare = name.replace(/^\[|\]$/g, "");
    const found = findName(sql, bare);
    if (found) return found;
  }
  return null;
}

function findName(sql: string, name: string): { from: number; to: number } | null {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const match = new RegExp(`(?<![\\w#@$])\\[?${escaped}\\]?(?![\\w#@$])`, "i").exec(sql);
  return match ? { from: match.index, to: match.index + match[0].length } : null;
}

/** 1-based line and column of a UTF-16 offset, for people. */
export function lineColumn(sql: string, offset: number): { line: number; column: number } {
  const before = sql.slice(0, offset);
  const line = before.split("\n").length;
  return { line, column: offset - before.lastIndexOf("\n") };
}
