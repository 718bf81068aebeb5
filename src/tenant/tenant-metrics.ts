// What a tenant's object contributes to /metrics: counter deltas derived from run creation, run
// syncs and webhook deliveries, kept in memory and flushed to its metrics shard at most every 5 s
// along with its gauges (queue counts, oldest approval wait, credits).

import type { Balance } from "../adapters/ledger/port";
import { modelUsd, type PlatformOperations, type Prices, platformUsd } from "../domain/costs";
import type { Usage } from "../domain/types";
import { errorText, log } from "../ops/log";
import { agentLabel, type MetricsBatch, MetricsBuffer, type Sample } from "../ops/metrics";
import { isFinal, isRetryable } from "../run/state";
import type { StoreSchema } from "../storage/migrations";
import type { QueueStats, RunSync } from "./protocol";
import type { RunIndexRow } from "./store";

/** Shortest time between two flushes of one tenant (ms). */
export const FLUSH_INTERVAL_MS = 5000;

/**
 * Per run, what was already counted of its cumulative usage and retries, so a run that finishes
 * again after a retry adds only what is new. By schema step (src/storage/migrations.ts); released
 * steps are never edited.
 */
export const TENANT_METRICS_SCHEMA: StoreSchema = {
  store: "tenant-metrics",
  steps: [
    `CREATE TABLE IF NOT EXISTS metrics_settled (run_id TEXT PRIMARY KEY, input_tokens INTEGER NOT NULL,
  output_tokens INTEGER NOT NULL, cache_creation_input_tokens INTEGER NOT NULL,
  cache_read_input_tokens INTEGER NOT NULL, retries INTEGER NOT NULL);`,
    // Step 2: the run object's own operations already counted (the tenant counts its own as they happen).
    `ALTER TABLE metrics_settled ADD COLUMN run_requests INTEGER NOT NULL DEFAULT 0;
ALTER TABLE metrics_settled ADD COLUMN run_rows INTEGER NOT NULL DEFAULT 0;
ALTER TABLE metrics_settled ADD COLUMN queue_messages INTEGER NOT NULL DEFAULT 0;`,
    // Step 3: WITHOUT ROWID, so a run's baseline is stored in its key: one row written, not two.
    `CREATE TABLE metrics_settled_rebuilt (run_id TEXT PRIMARY KEY, input_tokens INTEGER NOT NULL,
  output_tokens INTEGER NOT NULL, cache_creation_input_tokens INTEGER NOT NULL,
  cache_read_input_tokens INTEGER NOT NULL, retries INTEGER NOT NULL, run_requests INTEGER NOT NULL DEFAULT 0,
  run_rows INTEGER NOT NULL DEFAULT 0, queue_messages INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;
INSERT INTO metrics_settled_rebuilt SELECT run_id, input_tokens, output_tokens, cache_creation_input_tokens,
  cache_read_input_tokens, retries, run_requests, run_rows, queue_messages FROM metrics_settled;
DROP TABLE metrics_settled;
ALTER TABLE metrics_settled_rebuilt RENAME TO metrics_settled;`,
  ],
};

const TOKEN_TYPES = [
  ["input_tokens", "input"],
  ["output_tokens", "output"],
  ["cache_creation_input_tokens", "cache_creation_input"],
  ["cache_read_input_tokens", "cache_read_input"],
] as const;

/** Sends a batch to the metrics store on behalf of `source` (the tenant id). */
export type MetricsSink = (source: string, batch: MetricsBatch) => Promise<void>;

/** The tenant's gauges from its queue counts. */
export function gaugeSamples(q: QueueStats): Sample[] {
  const out: Sample[] = [];
  for (const lane of ["high", "normal", "low"] as const) {
    out.push({ name: "edgecrew_queue_depth", labels: { lane }, value: q.lanes[lane].queued });
    out.push({ name: "edgecrew_runs_running", labels: { lane }, value: q.lanes[lane].running });
  }
  out.push({ name: "edgecrew_runs_scheduled", labels: {}, value: q.scheduled });
  out.push({ name: "edgecrew_runs_retrying", labels: {}, value: q.retrying });
  out.push({ name: "edgecrew_runs_dead", labels: {}, value: q.dead });
  out.push({ name: "edgecrew_approvals_pending", labels: {}, value: q.awaiting_approval });
  return out;
}

/**
 * The tenant's credit gauges, labelled with its id: one series per tenant and gauge, so the label
 * is bounded by the number of tenants (created only through the admin API).
 */
export function creditSamples(tenantId: string, b: Balance): Sample[] {
  return [
    { name: "edgecrew_tenant_credits_available", labels: { tenant: tenantId }, value: b.available },
    { name: "edgecrew_tenant_credits_reserved", labels: { tenant: tenantId }, value: b.reserved },
  ];
}

/** How one webhook delivery attempt ended, as the `result` label of edgecrew_webhook_deliveries_total. */
export function deliveryResult(r: { ok: boolean; final: boolean }): "delivered" | "failed" | "undeliverable" {
  return r.ok ? "delivered" : r.final ? "undeliverable" : "failed";
}

/**
 * Deltas live in memory: at most one flush interval of them is lost if the object is evicted or
 * crashes before flushing (counters stay monotonic, so rates over them are unaffected). Reads the
 * run index (`runs`, owned by store.ts) for a run's agent and creation time.
 */
export class TenantMetrics {
  private readonly buffer = new MetricsBuffer();
  private source: string | null = null;
  private lastFlush = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private flushing = false;
  private dirty = false;
  private sentGauges: string | null = null;

  /** `sql` must be migrated to TENANT_METRICS_SCHEMA (and TENANT_SCHEMA, for `runs`). */
  constructor(
    private readonly sql: SqlStorage,
    private readonly sink: MetricsSink,
    private readonly gauges: () => QueueStats,
    /** The tenant's balance when its own ledger holds it; null when the ledger is external (Supabase). */
    private readonly credits: () => Balance | null = () => null,
    /** Prices for edgecrew_cost_usd_total; null counts no dollars. */
    private readonly prices: Prices | null = null,
  ) {}

  /**
   * Counts platform operations (edgecrew_platform_operations_total) and their price: the tenant's
   * own per call, the run object's when the run settles.
   */
  platformOperations(tenantId: string, ops: PlatformOperations): void {
    for (const [kind, n] of Object.entries(ops)) if (n > 0) this.buffer.add("edgecrew_platform_operations_total", { kind }, n);
    if (this.prices) this.buffer.add("edgecrew_cost_usd_total", { kind: "platform" }, platformUsd(ops, this.prices));
    this.schedule(tenantId);
  }

  /** Something a gauge reads changed outside a run sync (a top-up): flush the gauges soon. */
  changed(tenantId: string): void {
    this.schedule(tenantId);
  }

  /** Counts one webhook delivery attempt by its result. */
  deliveryAttempted(tenantId: string, r: { ok: boolean; final: boolean }): void {
    this.buffer.add("edgecrew_webhook_deliveries_total", { result: deliveryResult(r) });
    this.schedule(tenantId);
  }

  runCreated(tenantId: string, agent: string): void {
    this.buffer.add("edgecrew_runs_created_total", { agent: agentLabel(agent) });
    this.schedule(tenantId);
  }

  /** A creation refused for credits or rate; other refusals (bad input) are not counted. */
  runRefused(tenantId: string, code: string): void {
    if (code !== "insufficient_credits" && code !== "rate_limited") return;
    this.buffer.add("edgecrew_runs_refused_total", { reason: code });
    this.schedule(tenantId);
  }

  /**
   * Counts what a run's sync changed; call inside the sync's transaction, with the run's index
   * row as it was before the sync (null when the index does not have the run).
   */
  runSynced(tenantId: string, s: RunSync, applied: boolean, charged: number, now: number, row: RunIndexRow | null): void {
    const final = applied && isFinal(s.status);
    if (charged > 0 || final) {
      const agent = agentLabel(row?.agent ?? "");
      if (charged > 0) this.buffer.add("edgecrew_credits_charged_total", { agent }, charged);
      if (final) {
        this.buffer.add("edgecrew_runs_finished_total", { agent, status: s.status });
        if (row) {
          const seconds = Math.max(0, (s.finished_at ?? now) - row.created_at) / 1000;
          this.buffer.observe("edgecrew_run_duration_seconds", { agent, status: s.status }, seconds);
        }
        this.settle(s, agent, row);
      }
    }
    if (applied || charged > 0) this.schedule(tenantId);
  }

  /**
   * Adds the run's usage and retries not counted before (a retried run finishes again). What was
   * counted is kept only for a run that finished failed or dead, so a run in its first attempt
   * whose index row (`row`, before the sync) is neither failed, dead nor resolved has nothing kept.
   */
  private settle(s: RunSync, agent: string, row: RunIndexRow | null): void {
    if (!s.usage && s.retries === undefined) return;
    const counted = row === null || s.attempt > 1 || row.attempt > 1 || row.resolved || isRetryable(row.status);
    const prev = counted ? this.sql.exec("SELECT * FROM metrics_settled WHERE run_id = ?", s.id).toArray()[0] : undefined;
    const was = (k: string) => (typeof prev?.[k] === "number" ? (prev[k] as number) : 0);
    const cur = { ...s.usage, retries: s.retries };
    for (const [field, type] of TOKEN_TYPES) {
      this.buffer.add("edgecrew_model_tokens_total", { agent, type }, Math.max(0, (cur[field] ?? was(field)) - was(field)));
    }
    this.buffer.add("edgecrew_retries_total", { agent }, Math.max(0, (cur.retries ?? was("retries")) - was("retries")));
    const newTokens = Object.fromEntries(TOKEN_TYPES.map(([field]) => [field, Math.max(0, (cur[field] ?? was(field)) - was(field))]));
    if (this.prices) this.buffer.add("edgecrew_cost_usd_total", { kind: "model" }, modelUsd(newTokens as unknown as Usage, this.prices));
    // The run object's own operations; the tenant's were counted as they happened.
    const own = {
      run_requests: Math.max(0, (s.cost?.run_requests ?? 0) - was("run_requests")),
      run_rows: Math.max(0, (s.cost?.run_rows ?? 0) - was("run_rows")),
      queue_messages: Math.max(0, (s.cost?.queue_messages ?? 0) - was("queue_messages")),
    };
    const ops = { durable_object_requests: own.run_requests, rows_written: own.run_rows, queue_messages: own.queue_messages };
    for (const [kind, n] of Object.entries(ops)) if (n > 0) this.buffer.add("edgecrew_platform_operations_total", { kind }, n);
    if (this.prices) this.buffer.add("edgecrew_cost_usd_total", { kind: "platform" }, platformUsd(ops, this.prices));
    // Only a run that can finish again (failed or dead: retried, or resolved) needs what was
    // counted; a succeeded, canceled or expired run never moves again, so it writes no row here.
    if (!isRetryable(s.status)) return;
    this.sql.exec(
      `INSERT INTO metrics_settled (run_id, input_tokens, output_tokens, cache_creation_input_tokens,
        cache_read_input_tokens, retries, run_requests, run_rows, queue_messages) VALUES (?,?,?,?,?,?,?,?,?)
       ON CONFLICT (run_id) DO UPDATE SET input_tokens = excluded.input_tokens, output_tokens = excluded.output_tokens,
        cache_creation_input_tokens = excluded.cache_creation_input_tokens, cache_read_input_tokens = excluded.cache_read_input_tokens,
        retries = excluded.retries, run_requests = excluded.run_requests, run_rows = excluded.run_rows,
        queue_messages = excluded.queue_messages`,
      s.id,
      ...TOKEN_TYPES.map(([field]) => Math.max(cur[field] ?? 0, was(field))),
      Math.max(cur.retries ?? 0, was("retries")),
      was("run_requests") + own.run_requests,
      was("run_rows") + own.run_rows,
      was("queue_messages") + own.queue_messages,
    );
  }

  /** Every gauge of the tenant: queue counts, the oldest approval wait (if any), credits (own ledger). */
  private allGauges(tenantId: string): Sample[] {
    const out = gaugeSamples(this.gauges());
    // A run's updated_at while it awaits approval is when its approval was requested: the status
    // changes on the request and again on the decision or expiry.
    const oldest = this.sql.exec("SELECT min(updated_at) AS since FROM runs WHERE status = 'awaiting_approval'").one().since;
    if (typeof oldest === "number") {
      out.push({ name: "edgecrew_approvals_oldest_pending_timestamp_seconds", labels: {}, value: Math.floor(oldest / 1000) });
    }
    const balance = this.credits();
    if (balance) out.push(...creditSamples(tenantId, balance));
    return out;
  }

  /** Flushes now if the last flush is old enough, else once the interval has passed. */
  private schedule(tenantId: string): void {
    this.source = tenantId;
    this.dirty = true;
    if (this.timer || this.flushing) return;
    const wait = Math.max(0, this.lastFlush + FLUSH_INTERVAL_MS - Date.now());
    // Even "now" waits for a timer tick, so the flush reads the index after the caller's writes.
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, wait);
  }

  /** Sends the deltas and (when changed) the gauges; on failure keeps them for the next flush. */
  async flush(): Promise<void> {
    const source = this.source;
    if (!source) return;
    this.flushing = true;
    this.dirty = false;
    this.lastFlush = Date.now();
    const counters = this.buffer.drain();
    try {
      const gauges = this.allGauges(source);
      const key = JSON.stringify(gauges);
      const batch: MetricsBatch = { counters, gauges: key === this.sentGauges ? null : gauges };
      if (counters.length > 0 || batch.gauges) await this.sink(source, batch);
      if (batch.gauges) this.sentGauges = key;
    } catch (e) {
      this.buffer.restore(counters);
      this.dirty = true;
      log.warn("metrics.flush_failed", "metrics flush failed; deltas kept for the next flush", { tenant: source, error: errorText(e) });
    } finally {
      this.flushing = false;
      if (this.dirty) this.schedule(source);
    }
  }
}
