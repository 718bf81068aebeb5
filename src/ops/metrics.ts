// The metrics GET /metrics exposes (names, help, types, how sources merge) and the in-memory buffer
// of counter deltas a tenant's object or a consumer isolate accumulates between flushes. Pure.

import { BUILTIN_AGENTS } from "../agent/agents";

export type MetricType = "counter" | "gauge" | "histogram";

export interface MetricFamily {
  name: string;
  type: MetricType;
  help: string;
  /**
   * How a gauge's samples of the same series from several sources (tenants, shards) combine:
   * "sum" (default) adds them, "min" keeps the smallest (for timestamps: the oldest).
   */
  merge?: "sum" | "min";
}

/** Upper bounds (seconds) of the run duration histogram's buckets; `+Inf` is implied. */
export const DURATION_BUCKETS = [1, 5, 15, 30, 60, 300, 900, 1800, 3600, 14_400, 86_400] as const;

/** Every family /metrics exposes, in output order. Counters end in `_total`. */
export const FAMILIES: readonly MetricFamily[] = [
  { name: "edgecrew_runs_created_total", type: "counter", help: "Runs accepted by POST /v1/runs, by agent." },
  { name: "edgecrew_runs_refused_total", type: "counter", help: "Run creations refused, by reason (insufficient_credits, rate_limited)." },
  { name: "edgecrew_runs_finished_total", type: "counter", help: "Runs that reached a final status, by agent and status." },
  {
    name: "edgecrew_run_duration_seconds",
    type: "histogram",
    help: "Time from a run's creation to its final status, in seconds, by agent and status.",
  },
  {
    name: "edgecrew_retries_total",
    type: "counter",
    help: "Retries scheduled after transient failures, by agent (counted when the run finishes).",
  },
  {
    name: "edgecrew_model_tokens_total",
    type: "counter",
    help: "Model tokens of committed calls, by agent and type (counted when the run finishes).",
  },
  {
    name: "edgecrew_platform_operations_total",
    type: "counter",
    help: "Platform operations runs caused, by kind (durable_object_requests, rows_written, queue_messages); a run object's own when the run finishes, the tenant object's as they happen.",
  },
  {
    name: "edgecrew_cost_usd_total",
    type: "counter",
    help: "What runs cost in US dollars at the configured PRICE_* list prices, by kind (platform, model).",
  },
  { name: "edgecrew_credits_charged_total", type: "counter", help: "Credits charged to tenants for model calls and run fees, by agent." },
  { name: "edgecrew_queue_depth", type: "gauge", help: "Runs queued and waiting for a worker, by priority lane." },
  { name: "edgecrew_runs_running", type: "gauge", help: "Runs being executed, by priority lane." },
  { name: "edgecrew_runs_scheduled", type: "gauge", help: "Runs waiting for their run_at time." },
  { name: "edgecrew_runs_retrying", type: "gauge", help: "Runs waiting for the backoff of a retry." },
  { name: "edgecrew_runs_dead", type: "gauge", help: "Dead runs (in the dead-letter list), not yet retried or redriven." },
  { name: "edgecrew_approvals_pending", type: "gauge", help: "Runs waiting for a person's approval." },
  {
    name: "edgecrew_approvals_oldest_pending_timestamp_seconds",
    type: "gauge",
    merge: "min",
    help: "Unix time (s) since which the longest-waiting run has waited for an approval; absent when none waits.",
  },
  {
    name: "edgecrew_workers_alive",
    type: "gauge",
    help: "Queue consumers with a live heartbeat (younger than the lease), by priority lane; read when scraped.",
  },
  {
    name: "edgecrew_model_calls_total",
    type: "counter",
    help: "Model calls made by queue consumers, by outcome (ok, or the failure code: model_overloaded, model_rate_limited, ...).",
  },
  {
    name: "edgecrew_webhook_deliveries_total",
    type: "counter",
    help: "Webhook delivery attempts, by result (delivered; failed, to be retried; undeliverable, the last attempt failed).",
  },
  {
    name: "edgecrew_tenant_credits_available",
    type: "gauge",
    help: "Credits a tenant can still reserve, by tenant (tenants' own ledgers only, not a Supabase ledger).",
  },
  {
    name: "edgecrew_tenant_credits_reserved",
    type: "gauge",
    help: "Credits held by a tenant's unfinished runs, by tenant (tenants' own ledgers only, not a Supabase ledger).",
  },
];

/** The family of a metric name; histogram series (`_bucket`, `_sum`, `_count`) belong to their histogram. */
export function familyOf(name: string, families: readonly MetricFamily[] = FAMILIES): MetricFamily | undefined {
  return families.find(
    (f) => f.name === name || (f.type === "histogram" && [`${f.name}_bucket`, `${f.name}_sum`, `${f.name}_count`].includes(name)),
  );
}

/** How samples of the series `name` from several sources combine (default "sum"). */
export function mergeOf(name: string): "sum" | "min" {
  return familyOf(name)?.merge ?? "sum";
}

export type Labels = Record<string, string>;

/** One series value: a counter's delta or total, or a gauge's value. */
export interface Sample {
  name: string;
  labels: Labels;
  value: number;
}

/** What a tenant sends to the metrics object: counter deltas, and its gauges when they changed. */
export interface MetricsBatch {
  counters: Sample[];
  gauges: Sample[] | null;
}

/** Label value of an agent: a built-in's name, else "custom" (tenant-chosen names stay private). */
export function agentLabel(name: string): string {
  return Object.hasOwn(BUILTIN_AGENTS, name) ? name : "custom";
}

/** A stable key of a label set (keys sorted), used to store and merge series. */
export function labelKey(labels: Labels): string {
  return JSON.stringify(
    Object.keys(labels)
      .sort()
      .map((k) => [k, labels[k]]),
  );
}

export function labelsFromKey(key: string): Labels {
  return Object.fromEntries(JSON.parse(key) as [string, string][]);
}

/** Counter deltas accumulated in memory between flushes. */
export class MetricsBuffer {
  private readonly deltas = new Map<string, Sample>();

  get size(): number {
    return this.deltas.size;
  }

  add(name: string, labels: Labels, by = 1): void {
    if (by === 0) return;
    const key = `${name}\u0000${labelKey(labels)}`;
    const hit = this.deltas.get(key);
    if (hit) hit.value += by;
    else this.deltas.set(key, { name, labels, value: by });
  }

  /** Records one histogram observation as cumulative bucket, sum and count increments. */
  observe(name: string, labels: Labels, value: number, buckets: readonly number[] = DURATION_BUCKETS): void {
    for (const le of buckets) if (value <= le) this.add(`${name}_bucket`, { ...labels, le: String(le) });
    this.add(`${name}_bucket`, { ...labels, le: "+Inf" });
    this.add(`${name}_sum`, labels, value);
    this.add(`${name}_count`, labels);
  }

  /** Takes every delta out of the buffer. */
  drain(): Sample[] {
    const out = [...this.deltas.values()];
    this.deltas.clear();
    return out;
  }

  /** Puts deltas back (a flush that failed), adding to whatever arrived since. */
  restore(samples: Sample[]): void {
    for (const s of samples) this.add(s.name, s.labels, s.value);
  }
}
