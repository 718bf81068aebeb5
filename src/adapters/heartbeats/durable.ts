// Embedded Heartbeats: one Durable Object (named "workers") records every worker's beats. The
// same class, as instance "qstash-replays", keeps the replay cache of QStash deliveries.

import { DurableObject } from "cloudflare:workers";
import { ReplayStore } from "../scheduler/durable-replay";
import type { Heartbeats, WorkerBeat } from "./port";

export class OpsObject extends DurableObject<Env> {
  private replays: ReplayStore | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec(`CREATE TABLE IF NOT EXISTS workers (id TEXT PRIMARY KEY, lane TEXT NOT NULL,
      last_beat_at INTEGER NOT NULL, runs_in_flight INTEGER NOT NULL, expires_at INTEGER NOT NULL)`);
  }

  beat(id: string, lane: string, runsInFlight: number, ttlMs: number): void {
    const now = Date.now();
    this.ctx.storage.sql.exec(
      "INSERT OR REPLACE INTO workers (id, lane, last_beat_at, runs_in_flight, expires_at) VALUES (?,?,?,?,?)",
      id,
      lane,
      now,
      runsInFlight,
      now + ttlMs,
    );
  }

  stop(id: string): void {
    this.ctx.storage.sql.exec("DELETE FROM workers WHERE id = ?", id);
  }

  /** Replay cache: records a verified QStash delivery id; true when it was seen before. */
  seenDelivery(id: string): boolean {
    this.replays ??= new ReplayStore(this.ctx.storage.sql);
    return this.replays.seen(id);
  }

  list(): WorkerBeat[] {
    const now = Date.now();
    this.ctx.storage.sql.exec("DELETE FROM workers WHERE expires_at <= ?", now);
    return this.ctx.storage.sql
      .exec("SELECT * FROM workers ORDER BY id")
      .toArray()
      .map((r) => ({
        id: r.id as string,
        lane: r.lane as string,
        last_beat_at: new Date(r.last_beat_at as number).toISOString(),
        runs_in_flight: r.runs_in_flight as number,
      }));
  }
}

/** The Heartbeats port over the OpsObject instance `name` (default "workers"; tests use their own). */
export function durableHeartbeats(ns: DurableObjectNamespace<OpsObject>, name = "workers"): Heartbeats {
  const stub = () => ns.get(ns.idFromName(name));
  return {
    beat: async (id, lane, n, ttl) => stub().beat(id, lane, n, ttl),
    stop: async (id) => stub().stop(id),
    list: async () => stub().list(),
  };
}
