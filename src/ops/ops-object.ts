// The ops Durable Object: one class, an instance per job, by name. "workers" keeps worker
// heartbeats, "qstash-replays" the replay cache of QStash deliveries, "scheduler" the embedded
// Scheduler's pending deliveries and their alarm. Each job's SQL lives with its adapter.

import { DurableObject } from "cloudflare:workers";
import { HEARTBEATS_SCHEMA, HeartbeatStore } from "../adapters/heartbeats/durable";
import type { WorkerBeat } from "../adapters/heartbeats/port";
import { sendToQueue } from "../adapters/scheduler/deliver";
import { type DeliveryRecord, DeliveryStore, SCHEDULER_SCHEMA, type StoredDelivery, sendDue } from "../adapters/scheduler/durable";
import { REPLAYS_SCHEMA, ReplayStore } from "../adapters/scheduler/durable-replay";
import { migrate } from "../storage/migrations";
import { type CallCosts, CallCounter } from "../storage/row-counter";

export class OpsObject extends DurableObject<Env> {
  private readonly heartbeats: HeartbeatStore;
  private readonly replays: ReplayStore;
  private readonly deliveries: DeliveryStore;
  /** The heartbeat calls (beat, stop, list) and their rows (GET /v1/admin/shared/cost). */
  private readonly heartbeatCalls: CallCounter;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    // Every instance has the three jobs' tables (empty but for its own): the constructor cannot
    // tell which job an instance serves, and an empty table costs nothing to keep.
    migrate(ctx.storage, [HEARTBEATS_SCHEMA, REPLAYS_SCHEMA, SCHEDULER_SCHEMA]);
    this.heartbeatCalls = new CallCounter(ctx.storage.sql);
    this.heartbeats = new HeartbeatStore(this.heartbeatCalls.sql);
    this.replays = new ReplayStore(ctx.storage.sql);
    this.deliveries = new DeliveryStore(ctx.storage.sql);
  }

  /** Heartbeats: records a worker's beat, valid for `ttlMs`. */
  beat(id: string, lane: string, runsInFlight: number, ttlMs: number): void {
    this.heartbeatCalls.call(() => this.heartbeats.beat(id, lane, runsInFlight, ttlMs, Date.now()));
  }

  /** Heartbeats: forgets a worker that stopped. */
  stop(id: string): void {
    this.heartbeatCalls.call(() => this.heartbeats.stop(id));
  }

  /** Heartbeats: the workers whose last beat has not expired, by id. */
  list(): WorkerBeat[] {
    return this.heartbeatCalls.call(() => this.heartbeats.list(Date.now()));
  }

  /** Heartbeats: what their calls cost this instance since it started. */
  heartbeatCost(): CallCosts {
    return this.heartbeatCalls.snapshot();
  }

  /** Replay cache: records a verified QStash delivery id; true when it was seen before. */
  seenDelivery(id: string): boolean {
    return this.replays.seen(id);
  }

  /** Scheduler: stores a delivery once per key (false when the key is known) and keeps the alarm at the earliest. */
  async scheduleDelivery(d: StoredDelivery): Promise<boolean> {
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
    return this.deliveries.record(key);
  }

  /** Only the "scheduler" instance sets alarms: send the due deliveries, then wake at the next one. */
  override async alarm(): Promise<void> {
    const next = await sendDue(this.deliveries, (queue, body, at) => sendToQueue(this.env, queue, body, at));
    // Recomputed after the sends, so a delivery scheduled meanwhile is included.
    if (next !== null) await this.ctx.storage.setAlarm(Math.max(next, Date.now()));
  }
}
