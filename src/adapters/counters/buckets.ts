// Which counter bucket a run of the index belongs to, and the queue counts built from buckets.
// The one definition of the grouping: the tenant's run index (TenantStore.queueStats) and the
// external counters (Upstash) both count through it.
import { PRIORITIES, type Priority, type QueueStats, RUN_STATUSES, type RunStatus } from "../../domain/types";

/**
 * The bucket a run counts in: `<priority>:queued` and `<priority>:running` per lane, then
 * `retrying` (queued for a retry), `awaiting_approval`, `scheduled` and `dead`; null for the other
 * final states, which are not counted.
 */
export function bucketOf(status: RunStatus, priority: Priority, retrying: boolean): string | null {
  switch (status) {
    case "queued":
      return retrying ? "retrying" : `${priority}:queued`;
    case "running":
      return `${priority}:running`;
    case "awaiting_approval":
    case "scheduled":
    case "dead":
      return status;
    default:
      return null;
  }
}

/** The statuses that count in some bucket (the other final states are not counted). */
export const COUNTED_STATUSES: readonly RunStatus[] = RUN_STATUSES.filter((s) => bucketOf(s, "normal", false) !== null);

/** A bucket's count from a stored value (a number or its decimal string); absent or below zero is 0. */
function count(record: Record<string, unknown>, bucket: string): number {
  const n = Number(record[bucket] ?? 0);
  return Number.isFinite(n) && n > 0 ? Math.trunc(n) : 0;
}

/** Adds `n` runs to `bucket` of a record of bucket counts (a null bucket is not counted). */
export function addToBucket(record: Record<string, number>, bucket: string | null, n: number): void {
  if (bucket !== null) record[bucket] = (record[bucket] ?? 0) + n;
}

/** Queue counts from a record of bucket counts (e.g. a Redis hash); unknown fields are ignored. */
export function statsFromBuckets(record: Record<string, unknown>): QueueStats {
  const lanes = {} as QueueStats["lanes"];
  for (const p of PRIORITIES) lanes[p] = { queued: count(record, `${p}:queued`), running: count(record, `${p}:running`) };
  return {
    lanes,
    awaiting_approval: count(record, "awaiting_approval"),
    scheduled: count(record, "scheduled"),
    retrying: count(record, "retrying"),
    dead: count(record, "dead"),
  };
}
