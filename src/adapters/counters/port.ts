// The QueueCounters port: live queue counts for GET /v1/queues kept outside the tenant object.
// Adapter: upstash. Without one, the tenant object's run index computes the counts itself.
import type { QueueStats } from "../../domain/types";

export type { QueueStats };

/** Per-tenant counters of runs by bucket (see buckets.ts), moved by deltas. */
export interface QueueCounters {
  /** Adds each delta to the tenant's bucket of that name (zero deltas are skipped). */
  apply(tenant: string, deltas: Record<string, number>): Promise<void>;
  /** The tenant's counts as GET /v1/queues shows them. */
  read(tenant: string): Promise<QueueStats>;
}
