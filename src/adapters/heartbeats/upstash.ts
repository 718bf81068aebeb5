// Heartbeats in Upstash Redis: one key per worker holding its beat as JSON with a Redis TTL, plus
// a sorted set of worker ids scored by expiry time so list() finds the live ones without SCAN.
import { Redis } from "@upstash/redis/cloudflare";
import { errorText, log } from "../../ops/log";
import type { Heartbeats, WorkerBeat } from "./port";

/** Plain configuration of upstashHeartbeats (values from the environment, read elsewhere). */
export interface UpstashHeartbeatsConfig {
  /** UPSTASH_REDIS_REST_URL. */
  url: string;
  /** UPSTASH_REDIS_REST_TOKEN. */
  token: string;
  /** Key namespace. Default "edgecrew:hb". */
  prefix?: string;
}

interface StoredBeat {
  lane: string;
  last_beat_at: string;
  runs_in_flight: number;
}

function parseBeat(id: string, raw: unknown): WorkerBeat | null {
  if (typeof raw !== "string") return null;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (err) {
    // A foreign value under our prefix: skip it rather than break GET /v1/workers.
    log.warn("heartbeats.unreadable_beat", "heartbeats: ignoring an unreadable beat", { worker: id, error: errorText(err) });
    return null;
  }
  const beat = value as Partial<StoredBeat>;
  if (typeof beat.lane !== "string" || typeof beat.last_beat_at !== "string" || typeof beat.runs_in_flight !== "number") return null;
  return { id, lane: beat.lane, last_beat_at: beat.last_beat_at, runs_in_flight: beat.runs_in_flight };
}

/**
 * Heartbeats backed by Upstash Redis. Costs per call:
 * - beat: 1 request, a MULTI/EXEC of 3 commands (SET key PX ttl, ZADD index, ZREMRANGEBYSCORE
 *   of expired ids);
 * - stop: 1 request, a MULTI/EXEC of 2 commands (DEL, ZREM);
 * - list: 1 command (ZRANGE BYSCORE of live ids), plus 1 MGET when any worker is alive.
 */
export function upstashHeartbeats(config: UpstashHeartbeatsConfig): Heartbeats {
  const redis = new Redis({
    url: config.url,
    token: config.token,
    automaticDeserialization: false,
    enableTelemetry: false,
  });
  const prefix = config.prefix ?? "edgecrew:hb";
  const index = `${prefix}:workers`;
  const beatKey = (id: string) => `${prefix}:worker:${id}`;

  return {
    async beat(workerId, lane, runsInFlight, ttlMs) {
      if (!(ttlMs > 0)) throw new Error(`heartbeat ttl must be positive, got ${ttlMs}`);
      const now = Date.now();
      const ttl = Math.ceil(ttlMs);
      const beat: StoredBeat = { lane, last_beat_at: new Date(now).toISOString(), runs_in_flight: runsInFlight };
      await redis
        .multi()
        .set(beatKey(workerId), JSON.stringify(beat), { px: ttl })
        .zadd(index, { score: now + ttl, member: workerId })
        .zremrangebyscore(index, "-inf", now)
        .exec();
    },

    async stop(workerId) {
      await redis.multi().del(beatKey(workerId)).zrem(index, workerId).exec();
    },

    async list() {
      const ids = await redis.zrange<string[]>(index, Date.now(), "+inf", { byScore: true });
      if (ids.length === 0) return [];
      const values = await redis.mget<unknown[]>(...ids.map(beatKey));
      const beats: WorkerBeat[] = [];
      ids.forEach((id, i) => {
        // A null value expired between the two calls: the worker is gone.
        const beat = parseBeat(id, values[i]);
        if (beat) beats.push(beat);
      });
      return beats.sort((a, b) => a.id.localeCompare(b.id));
    },
  };
}
