// Queue counters in Upstash Redis: one hash per tenant, `edgecrew:q:<tenant>`, with a field per
// bucket (see buckets.ts) moved by HINCRBY and read whole by HGETALL.
import { Redis } from "@upstash/redis/cloudflare";
import { statsFromBuckets } from "./buckets";
import type { QueueCounters } from "./port";

/** Plain configuration of upstashCounters (values from the environment, read elsewhere). */
export interface UpstashCountersConfig {
  /** UPSTASH_REDIS_REST_URL. */
  url: string;
  /** UPSTASH_REDIS_REST_TOKEN. */
  token: string;
  /** Key namespace. Default "edgecrew:q". */
  prefix?: string;
}

/**
 * QueueCounters backed by Upstash Redis. Costs per call:
 * - apply: 1 request, a MULTI/EXEC of one HINCRBY per non-zero delta (none when all are zero), so
 *   a flush lands whole or not at all;
 * - read: 1 command (HGETALL).
 */
export function upstashCounters(config: UpstashCountersConfig): QueueCounters {
  // Deserialization stays on: it is what turns HGETALL's flat field/value list into a record.
  const redis = new Redis({ url: config.url, token: config.token, enableTelemetry: false });
  const prefix = config.prefix ?? "edgecrew:q";
  const key = (tenant: string) => `${prefix}:${tenant}`;

  return {
    async apply(tenant, deltas) {
      const moves = Object.entries(deltas).filter(([, n]) => n !== 0);
      if (moves.length === 0) return;
      const tx = redis.multi();
      for (const [bucket, n] of moves) {
        if (!Number.isInteger(n)) throw new Error(`queue counter delta of ${bucket} must be an integer, got ${n}`);
        tx.hincrby(key(tenant), bucket, n);
      }
      await tx.exec();
    },

    async read(tenant) {
      const hash = await redis.hgetall<Record<string, unknown>>(key(tenant));
      return statsFromBuckets(hash ?? {});
    },
  };
}
