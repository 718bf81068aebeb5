// The tenant object's side of external queue counters: the bucket moves of its run index, kept in
// memory per transaction and flushed after it commits (coalesced; a failed flush retried by the alarm).

import { bucketOf } from "../adapters/counters/buckets";
import type { QueueCounters } from "../adapters/counters/port";
import type { Priority, RunStatus } from "../domain/types";
import { errorText, log } from "../ops/log";
import type { Transactions } from "../storage/transactions";
import type { RunIndexRow, TenantStore } from "./store";

/** First and longest wait before the alarm retries a failed flush (doubling in between). */
const RETRY_FIRST_MS = 3_000;
const RETRY_MAX_MS = 300_000;

type Deltas = Map<string, number>;

function add(into: Deltas, bucket: string | null, n: number): void {
  if (bucket === null || n === 0) return;
  const sum = (into.get(bucket) ?? 0) + n;
  if (sum === 0) into.delete(bucket);
  else into.set(bucket, sum);
}

/**
 * Counter deltas of one tenant object. Without external counters every method is a pass-through
 * and nothing is read or kept.
 */
export class CounterDeltas {
  /** Deltas recorded by the running transaction; they count only if it commits. */
  private staged: Deltas = new Map();
  /** Committed deltas not yet applied to the counters. */
  private readonly pending: Deltas = new Map();
  private flushing = false;
  private failures = 0;
  /** The tenant of the deltas (set by `transaction`; an object serves one tenant). */
  private tenant: string | null = null;
  private resolved: { counters: QueueCounters | null } | null = null;

  constructor(
    private readonly ctx: DurableObjectState,
    private readonly transactions: Transactions,
    private readonly store: TenantStore,
    private readonly adapter: () => QueueCounters | null,
  ) {}

  /** The external counters, or null. A half-configured adapter is logged and left out here (the API reports it). */
  private counters(): QueueCounters | null {
    if (!this.resolved) {
      try {
        this.resolved = { counters: this.adapter() };
      } catch (e) {
        log.error("counters.misconfigured", "queue counters not kept: the adapter is misconfigured", { error: errorText(e) });
        this.resolved = { counters: null };
      }
    }
    return this.resolved.counters;
  }

  /**
   * Runs `fn` in a storage transaction. The deltas it records are kept only if it commits, and
   * then flushed in the background (`ctx.waitUntil`).
   */
  transaction<T>(tenant: string, fn: () => T): T {
    this.staged = new Map();
    this.tenant = tenant;
    try {
      const result = this.transactions.run(fn);
      for (const [bucket, n] of this.staged) add(this.pending, bucket, n);
      if (this.pending.size > 0) this.ctx.waitUntil(this.flush());
      return result;
    } finally {
      // Committed deltas are pending by now; those of a rolled-back transaction are dropped here.
      this.staged = new Map();
    }
  }

  /** A run entered the index. */
  created(status: RunStatus, priority: Priority): void {
    if (this.counters()) add(this.staged, bucketOf(status, priority, false), 1);
  }

  /** Removes a run from the index through `remove`, counting it out. */
  removed(id: string, remove: () => void): void {
    const row = this.counters() ? this.store.runRow(id) : null;
    remove();
    if (row) add(this.staged, bucketOf(row.status, row.priority, row.retrying), -1);
  }

  /**
   * Applies `update` to a run's index row, which held `before` (read by the caller); when it
   * applied, the run moves from its old bucket to its new one.
   */
  moved(id: string, before: RunIndexRow | null, update: () => boolean): boolean {
    const applied = update();
    const after = applied && before && this.counters() ? this.store.runRow(id) : null;
    if (before && after) {
      add(this.staged, bucketOf(before.status, before.priority, before.retrying), -1);
      add(this.staged, bucketOf(after.status, after.priority, after.retrying), 1);
    }
    return applied;
  }

  /**
   * Applies the pending deltas, one request per batch; deltas recorded meanwhile are taken by the
   * running flush. A failed batch is put back and the alarm set to retry it. Nothing is pending in
   * a fresh instance, so an alarm that finds none has nothing to do.
   */
  async flush(): Promise<void> {
    const counters = this.counters();
    const tenant = this.tenant;
    if (!counters || tenant === null || this.flushing) return;
    this.flushing = true;
    try {
      while (this.pending.size > 0) {
        const batch = Object.fromEntries(this.pending);
        this.pending.clear();
        try {
          await counters.apply(tenant, batch);
          this.failures = 0;
        } catch (e) {
          for (const [bucket, n] of Object.entries(batch)) add(this.pending, bucket, n);
          const wait = Math.min(RETRY_FIRST_MS * 2 ** this.failures, RETRY_MAX_MS);
          this.failures += 1;
          log.error("counters.flush_failed", "queue counter flush failed; retrying from the alarm", {
            tenant,
            wait_ms: wait,
            error: errorText(e),
          });
          await this.retryAt(Date.now() + wait);
          return;
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  /** Sets the object's alarm to `at` unless it already fires sooner (it also serves deliveries). */
  private async retryAt(at: number): Promise<void> {
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > at) await this.ctx.storage.setAlarm(at);
  }
}
