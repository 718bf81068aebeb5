// Embedded Heartbeats: one Durable Object (named "workers") records every worker's beats. The
// same class keeps the replay cache of QStash deliveries (instance "qstash-replays") and, as
// instance "scheduler", the embedded Scheduler's pending deliveries and their alarm.

import { DurableObject } from "cloudflare:workers";
import { sendToQueue } from "../scheduler/deliver";
import { type DeliveryRecord, DeliveryStore, type StoredDelivery, sendDue } from "../scheduler/durable";
import { ReplayStore } from "../scheduler/durable-replay";
import type { Heartbeats, WorkerBeat } from "./port";

export class OpsObject extends DurableObject<Env> {
  private replays: ReplayStore | null = null;
  private deliveries: DeliveryStore | null = null;

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

  /** Scheduler: stores a delivery once per key (false when the key is known) and keeps the alarm at the earliest. */
  async scheduleDelivery(d: StoredDelivery): Promise<boolean> {
    this.deliveries ??= new DeliveryStore(this.ctx.storage.sql);
    const added = this.deliveries.add(d);
    const next = this.deliveries.nextWake();
    if (added && next !== null) {
      const current = await this.ctx.storage.getAlarm();
      // setAlarm refuses times <= 0; a time already past fires at once.
      if (current === null || next < current) await this.ctx.storage.setAlarm(Math.max(next, Date.now()));
    }
    return added;
  }

  /** Scheduler: what is known of the delivery `key` (pending, sent, failed attempts), or null. */
  deliveryRecord(key: string): DeliveryRecord | null {
    this.deliveries ??= new DeliveryStore(this.ctx.storage.sql);
    return this.deliveries.record(key);
  }

  /** Only the "scheduler" instance sets alarms: send the due deliveries, then wake at the next one. */
  override async alarm(): Promise<void> {
    this.deliveries ??= new DeliveryStore(this.ctx.storage.sql);
    const next = await sendDue(this.deliveries, (queue, body, at) => sendToQueue(this.env, queue, body, at));
    // Recomputed after the sends, so a delivery scheduled meanwhile is included.
    if (next !== null) await this.ctx.storage.setAlarm(Math.max(next, Date.now()));
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
