// The tenant's exceptions (GET /v1/exceptions): failed and dead runs from the run index, open until
// a person resolves or dismisses them, with their last error and resolution.

import type { Priority, RunStatus } from "../domain/types";
import type { Resolution } from "../run/journal";

/** One exception as the API shows it. */
export interface ExceptionView {
  run_id: string;
  agent: string;
  status: RunStatus;
  priority: Priority;
  error: unknown;
  attempts: number;
  finished_at: string | null;
  resolution: Resolution | null;
}

export type ExceptionStatus = "open" | "resolved";

/**
 * Failed and dead runs, newest id first, open (no resolution) or resolved; `cursor` is the last
 * run id of the previous page.
 */
export function listExceptions(
  sql: SqlStorage,
  status: ExceptionStatus,
  limit: number,
  cursor: string | null,
): { exceptions: ExceptionView[]; next_cursor: string | null } {
  const resolved = status === "resolved" ? "resolution IS NOT NULL" : "resolution IS NULL";
  // `status IN ('failed', 'dead')` is the condition of the runs_exceptions index, as written there.
  const rows = sql
    .exec(
      `SELECT * FROM runs INDEXED BY runs_exceptions WHERE status IN ('failed', 'dead') AND ${resolved} AND id < ? ORDER BY id DESC LIMIT ?`,
      cursor ?? "~",
      limit + 1,
    )
    .toArray();
  const exceptions = rows.slice(0, limit).map((r) => ({
    run_id: r.id as string,
    agent: r.agent as string,
    status: r.status as RunStatus,
    priority: r.priority as Priority,
    error: r.error ? (JSON.parse(r.error as string) as unknown) : null,
    attempts: r.attempt as number,
    finished_at: typeof r.finished_at === "number" ? new Date(r.finished_at).toISOString() : null,
    resolution: r.resolution ? (JSON.parse(r.resolution as string) as Resolution) : null,
  }));
  return { exceptions, next_cursor: rows.length > limit ? exceptions[exceptions.length - 1]!.run_id : null };
}
