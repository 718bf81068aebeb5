// Carries out what a committed transition asks for: broadcast to live streams, the lane message,
// the sync with the tenant (charges, status, final settlement), the run's one alarm, and the stop
// signal to a worker whose lease was taken. Also keeps the run object's platform cost counters.

import { errorText, log } from "../ops/log";
import type { Effects } from "./engine";
import type { Journal } from "./journal";
import { sendLaneMessage } from "./later";
import type { CancelListener, RunMessage } from "./protocol";
import { logRunEvents } from "./run-log";
import { isFinal } from "./state";
import type { Streams } from "./stream";
import type { TenantSync } from "./tenant-sync";

/** Longest a run's charges wait before they are pushed to the tenant ledger without a status change (ms). */
const CHARGE_SYNC_MS = 30_000;
/**
 * How long the tenant waits to hear that a run is running (ms): a run that finishes sooner sends
 * one settlement instead of two syncs. GET /v1/runs/:id is exact; only the tenant's index (lists,
 * queue gauges) lags by this much.
 */
export const RUNNING_SYNC_DELAY_MS = 2000;
/** How soon the alarm retries a lane message that could not be sent (ms). */
const DISPATCH_RETRY_MS = 5000;

/** Alarm writes (set and delete) of this instance: in memory only, for the benchmark's breakdown. */
export class AlarmWrites {
  count = 0;
}

export interface EffectsDeps {
  ctx: DurableObjectState;
  env: Env;
  journal: Journal;
  streams: Streams;
  tenantSync: TenantSync;
  alarmWrites: AlarmWrites;
  /** The next time the run's alarm must fire for its own deadlines, or null. */
  nextAlarm(): number | null;
  /** Runs `fn` in one SQLite transaction and flushes the journal (RunObject.tx). */
  tx<T>(fn: () => T): T;
}

export class EffectsExecutor {
  /** When the alarm is set (null: none; undefined: not read from storage yet). */
  private alarmAt: number | null | undefined;
  /** The final settlement with the tenant, while it is in flight. */
  private settling: Promise<void> | null = null;
  /** A sync of the running status is waiting for RUNNING_SYNC_DELAY_MS. */
  private deferred = false;
  /** The generation whose lane message this instance sent (lost with the instance). */
  private sentGen: number | null = null;
  /** The stop signal of the worker holding the lease, kept while it holds it. */
  private listener: { token: string; stop: CancelListener & Partial<Disposable> } | null = null;

  constructor(private readonly d: EffectsDeps) {
    // A new object has no alarm to read (one getAlarm fewer per run).
    if (d.journal.newObject) this.alarmAt = null;
  }

  /** The generation whose lane message this instance sent; null when none (or after a reset). */
  sent(): number | null {
    return this.sentGen;
  }

  /** Resolves once no final settlement is in flight, so no reader sees a final run whose credits are still held. */
  async settled(): Promise<void> {
    if (this.settling) await this.settling;
  }

  /**
   * Keeps the stop signal of the worker that claimed with `token` (a Workers RPC stub, duplicated
   * so it outlives the claim call); it is called when the lease is taken and dropped when it ends.
   */
  watch(token: string, stop: CancelListener): void {
    this.release();
    const kept = (stop as CancelListener & { dup?: () => CancelListener & Disposable }).dup?.() ?? stop;
    this.listener = { token, stop: kept };
  }

  /** Carries out a transition's effects: stop signal, broadcast, dispatch, tenant sync, alarm. */
  async run(effects: Effects): Promise<void> {
    const { journal, streams } = this.d;
    const run = journal.run();
    if (!run) return;
    if (effects.revoke && this.listener?.token === effects.revoke.token) await this.stopWorker(effects.revoke.reason);
    if (this.listener && run.lease_token !== this.listener.token) this.release();
    streams.broadcast(effects.events, effects.final === true);
    logRunEvents(run, effects.events);
    if (effects.dispatch) {
      // The alarm for `wake_at` is set before the send, so the message is sent again if this
      // object does not live to send it, or the send fails. With the alarm standing by, the
      // answer (a run's creation: the API's 202) does not wait for the queue.
      await this.setAlarm();
      this.d.ctx.waitUntil(this.dispatch(effects.dispatch.gen, effects.dispatch.delayMs));
    }
    // The tenant hears of every status change. Charges alone wait for the next status change,
    // the final settlement, or CHARGE_SYNC_MS: the reservation already holds the credits and the
    // budget is enforced here, so a tenant call per model call would buy nothing.
    const unsettled = () => journal.unsettledCharges().charges.length > 0;
    const chargesDue = Date.now() - this.d.tenantSync.lastSync >= CHARGE_SYNC_MS && unsettled();
    if (run.version > run.synced_version || chargesDue || (effects.final && unsettled())) {
      // Final states settle credits before the run is shown as final (`settled()`); other
      // transitions sync in the background.
      if (effects.final) {
        this.settling = this.d.tenantSync.sync();
        await this.settling;
        this.settling = null;
        // Records the settlement (synced version, acknowledged charges, the tenant's share of
        // the cost) in the run row: one write, so an eviction afterwards loses none of it.
        this.d.tx(() => undefined);
      } else if (run.status === "running" && !chargesDue) this.deferSync();
      else this.d.ctx.waitUntil(this.d.tenantSync.sync());
    }
    await this.setAlarm();
  }

  /** Sends the tenant what it has not heard yet (the alarm's retry of a failed sync). */
  async syncIfBehind(): Promise<void> {
    const run = this.d.journal.run();
    if (run && run.version > run.synced_version) await this.d.tenantSync.sync();
  }

  /** Syncs after RUNNING_SYNC_DELAY_MS, if the tenant is still behind by then (one timer at a time). */
  private deferSync(): void {
    if (this.deferred) return;
    this.deferred = true;
    const later = new Promise((resolve) => setTimeout(resolve, RUNNING_SYNC_DELAY_MS)).then(() => {
      this.deferred = false;
      return this.syncIfBehind();
    });
    this.d.ctx.waitUntil(later);
  }

  /** Makes sure the alarm fires by `at` (never moves it later). */
  async alarmBy(at: number): Promise<void> {
    if (this.alarmAt === undefined) this.alarmAt = await this.d.ctx.storage.getAlarm();
    if (this.alarmAt !== null && this.alarmAt <= at) return;
    this.d.alarmWrites.count++;
    await this.d.ctx.storage.setAlarm(at);
    this.alarmAt = at;
  }

  /** The alarm fired: it is no longer set. */
  alarmFired(): void {
    this.alarmAt = null;
  }

  /** Tells the worker to stop its unit; a worker already gone is logged, not an error for the run. */
  private async stopWorker(reason: string): Promise<void> {
    const l = this.listener;
    if (!l) return;
    try {
      await l.stop(reason);
    } catch (e) {
      const run = this.d.journal.run();
      log.warn("run.stop_signal_failed", "the worker could not be told to stop; its lease renewal will tell it", {
        run_id: run?.id,
        tenant: run?.tenant_id,
        reason,
        error: errorText(e),
      });
    }
    this.release();
  }

  private release(): void {
    this.listener?.stop[Symbol.dispose]?.();
    this.listener = null;
  }

  /** Sends the run's lane message; a failed send is retried by the alarm, never lost. */
  private async dispatch(gen: number, delayMs: number): Promise<void> {
    const { env, journal } = this.d;
    const run = journal.run()!;
    const body: RunMessage = { run: run.id, tenant: run.tenant_id, gen };
    let wakeAt: number | null = null;
    try {
      const sent = await sendLaneMessage(env, body, run.priority, delayMs);
      if (sent === "queued") journal.addCost({ queue_messages: 1 });
      if (sent !== "too_far") this.sentGen = gen;
      // Past the queue's limit without a Scheduler: the run's own alarm sends it when it is due.
      if (sent === "too_far") wakeAt = Date.now() + delayMs;
    } catch (e) {
      log.error("run.dispatch_failed", "dispatch failed; the alarm will retry", {
        run_id: run.id,
        tenant: run.tenant_id,
        error: errorText(e),
      });
      wakeAt = Date.now() + DISPATCH_RETRY_MS;
    }
    // The send ran in the background: a run that finished or was sent again meanwhile needs no
    // retry from this one.
    const current = journal.run();
    if (wakeAt === null || !current || current.gen !== gen || isFinal(current.status)) return;
    this.d.tx(() => journal.updateRun({ wake_at: wakeAt }));
    await this.setAlarm();
  }

  /** Keeps one alarm at the earliest deadline; only ever moves it earlier (fewer writes). */
  private async setAlarm(): Promise<void> {
    const { ctx, journal, alarmWrites } = this.d;
    const run = journal.run()!;
    const wanted = this.d.nextAlarm() ?? run.wake_at ?? null;
    if (this.alarmAt === undefined) this.alarmAt = await ctx.storage.getAlarm();
    if (wanted === null) {
      if (this.alarmAt !== null && isFinal(run.status) && run.version <= run.synced_version) {
        alarmWrites.count++;
        await ctx.storage.deleteAlarm();
        this.alarmAt = null;
      }
      return;
    }
    if (this.alarmAt === null || wanted < this.alarmAt) {
      alarmWrites.count++;
      await ctx.storage.setAlarm(wanted);
      this.alarmAt = wanted;
    }
  }
}
