// Dates as people read them in the app: the browser's locale and time zone.

export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return "—";
  const date = new Date(iso);
  return Number.isNaN(date.getTime())
    ? iso
    : date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

export function formatDate(iso: string | null | undefined): string {
  if (!iso) return "—";
  const date = new Date(iso);
  return Number.isNaN(date.getTime())
    ? iso
    : date.toLocaleDateString(undefined, { dateStyle: "medium" });
}

/** "in 3 days", "in 5 hours", "today" (a purge date seen from now). */
export function fromNow(iso: string, now: number = Date.now()): string {
  const ms = Date.parse(iso) - now;
  if (Number.isNaN(ms)) return iso;
  const days = Math.round(ms / 86_400_000);
  if (Math.abs(days) >= 1)
    return days > 0
      ? `in ${days} day${days === 1 ? "" : "s"}`
      : `${-days} day${days === -1 ? "" : "s"} ago`;
  const hours = Math.round(ms / 3_600_000);
  if (hours > 0) return `in ${hours} hour${hours === 1 ? "" : "s"}`;
  return ms > 0 ? "within the hour" : "now";
}
