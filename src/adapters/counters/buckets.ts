// Which counter bucket a run of the index belongs to, and the queue counts built from buckets:
// the same grouping as TenantStore.queueStats, kept pure so both sides agree.
import type { Priority, RunStatus } from "../../domain/types";
import { PRIORITIES } from "../../domain/types";
import type { QueueStats } from "./port";

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

/** A bucket's count from a stored value (a number or its decimal string); absent or below zero is 0. */
function count(record: Record<string, unknown>, bucket: string): number {
  const n = Number(record[bucket] ?? 0);
  return Number.isFinite(n) && n > 0 ? Math.trunc(n) : 0;
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
