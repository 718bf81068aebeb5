// Small presentational pieces: status badges, times, durations, JSON.
import type { RunStatus } from "../api/types";

export function StatusBadge({ status }: { status: RunStatus | string }) {
  return (
    <span class={`badge status-${status}`} data-status={status}>
      {status.replace("_", " ")}
    </span>
  );
}

export function Time({ at }: { at: string | null | undefined }) {
  if (!at) return <span class="muted">—</span>;
  const d = new Date(at);
  return (
    <time dateTime={at} title={at}>
      {d.toLocaleString()}
    </time>
  );
}

/** "1.2 s", "3 min 4 s", or a dash when either end is missing. */
export function duration(from: string | null | undefined, to: string | null | undefined): string {
  if (!from || !to) return "—";
  const ms = Date.parse(to) - Date.parse(from);
  if (!Number.isFinite(ms) || ms < 0) return "—";
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

export function Json({ value, label }: { value: unknown; label?: string }) {
  return (
    <pre class="json" title={label}>
      {typeof value === "string" ? value : JSON.stringify(value, null, 2)}
    </pre>
  );
}
