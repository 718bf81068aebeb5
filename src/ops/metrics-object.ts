// The metrics store: Durable Objects (a few shards, by source) that add up the counter deltas
// tenants and consumer isolates flush and keep each tenant's latest gauges; GET /metrics reads and
// merges every shard (gauges as their family says: summed, or the minimum).

import { DurableObject } from "cloudflare:workers";
import { migrate, type StoreSchema } from "../storage/migrations";
import { type CallCosts, CallCounter } from "../storage/row-counter";
import { labelKey, labelsFromKey, type MetricsBatch, mergeOf, type Sample } from "./metrics";

/** Shards of the metrics store; tenants are spread over them by a hash of their id. */
export const METRICS_SHARDS = 4;

/** The metrics tables, by schema step (src/storage/migrations.ts); released steps are never edited. */
export const METRICS_SCHEMA: StoreSchema = {
  store: "metrics",
  steps: [
    `CREATE TABLE IF NOT EXISTS counters (name TEXT NOT NULL, labels TEXT NOT NULL, value REAL NOT NULL,
  PRIMARY KEY (name, labels));
CREATE TABLE IF NOT EXISTS gauges (source TEXT NOT NULL, name TEXT NOT NULL, labels TEXT NOT NULL, value REAL NOT NULL,
  updated_at INTEGER NOT NULL, PRIMARY KEY (source, name, labels));`,
    // 2: both tables WITHOUT ROWID, each series stored in its key: a counter's add or a gauge's
    // change writes one row, not a row and an index entry.
    `CREATE TABLE counters_rebuilt (name TEXT NOT NULL, labels TEXT NOT NULL, value REAL NOT NULL,
  PRIMARY KEY (name, labels)) WITHOUT ROWID;
INSERT INTO counters_rebuilt (name, labels, value) SELECT name, labels, value FROM counters;
DROP TABLE counters;
ALTER TABLE counters_rebuilt RENAME TO counters;
CREATE TABLE gauges_rebuilt (source TEXT NOT NULL, name TEXT NOT NULL, labels TEXT NOT NULL, value REAL NOT NULL,
  updated_at INTEGER NOT NULL, PRIMARY KEY (source, name, labels)) WITHOUT ROWID;
INSERT INTO gauges_rebuilt (source, name, labels, value, updated_at) SELECT source, name, labels, value, updated_at FROM gauges;
DROP TABLE gauges;
ALTER TABLE gauges_rebuilt RENAME TO gauges;`,
  ],
};

export class MetricsObject extends DurableObject<Env> {
  /** The flushes (push) received and their rows (GET /v1/admin/shared/cost). */
  private readonly pushes: CallCounter;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    migrate(ctx.storage, [METRICS_SCHEMA]);
    this.pushes = new CallCounter(ctx.storage.sql);
  }

  /**
   * Adds a source's counter deltas and, when given, replaces its gauges, in one transaction.
   * Rows: one per counter, one per gauge whose value changed, came or went.
   */
  push(source: string, batch: MetricsBatch): void {
    const sql = this.pushes.sql;
    const now = Date.now();
    this.pushes.call(() =>
      this.ctx.storage.transactionSync(() => {
        for (const c of batch.counters) {
          sql.exec(
            "INSERT INTO counters (name, labels, value) VALUES (?, ?, ?) ON CONFLICT (name, labels) DO UPDATE SET value = value + excluded.value",
            c.name,
            labelKey(c.labels),
            c.value,
          );
        }
        if (batch.gauges) this.replaceGauges(sql, source, batch.gauges, now);
      }),
    );
  }

  private replaceGauges(sql: SqlStorage, source: string, gauges: Sample[], now: number): void {
    const held = new Map<string, { name: string; labels: string; value: number }>();
    for (const r of sql.exec("SELECT name, labels, value FROM gauges WHERE source = ?", source)) {
      held.set(`${r.name as string} ${r.labels as string}`, {
        name: r.name as string,
        labels: r.labels as string,
        value: r.value as number,
      });
    }
    for (const g of gauges) {
      const labels = labelKey(g.labels);
      const key = `${g.name} ${labels}`;
      const before = held.get(key);
      held.delete(key);
      if (before?.value === g.value) continue;
      sql.exec(
        `INSERT INTO gauges (source, name, labels, value, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (source, name, labels) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
        source,
        g.name,
        labels,
        g.value,
        now,
      );
    }
    for (const gone of held.values()) {
      sql.exec("DELETE FROM gauges WHERE source = ? AND name = ? AND labels = ?", source, gone.name, gone.labels);
    }
  }

  /** What the flushes have cost this shard since it started. */
  pushCost(): CallCosts {
    return this.pushes.snapshot();
  }

  /** Counter totals, and gauges merged over sources (summed, or the minimum where the family says so). */
  snapshot(): Sample[] {
    const sql = this.ctx.storage.sql;
    const counters = sql.exec("SELECT name, labels, value FROM counters").toArray();
    const gauges = sql.exec("SELECT name, labels, sum(value) AS total, min(value) AS least FROM gauges GROUP BY name, labels").toArray();
    const sample = (name: unknown, labels: unknown, value: unknown): Sample => ({
      name: name as string,
      labels: labelsFromKey(labels as string),
      value: value as number,
    });
    return [
      ...counters.map((r) => sample(r.name, r.labels, r.value)),
      ...gauges.map((r) => sample(r.name, r.labels, mergeOf(r.name as string) === "min" ? r.least : r.total)),
    ];
  }
}

function shardOf(source: string): number {
  let h = 2166136261;
  for (let i = 0; i < source.length; i++) h = Math.imul(h ^ source.charCodeAt(i), 16777619);
  return (h >>> 0) % METRICS_SHARDS;
}

const shard = (ns: DurableObjectNamespace<MetricsObject>, i: number) => ns.get(ns.idFromName(`metrics-${i}`));
const everyShard = <T>(ns: DurableObjectNamespace<MetricsObject>, ask: (s: ReturnType<typeof shard>) => Promise<T>) =>
  Promise.all(Array.from({ length: METRICS_SHARDS }, (_, i) => ask(shard(ns, i))));

/** The metrics shard a source (a tenant id) flushes to. */
export function metricsStub(ns: DurableObjectNamespace<MetricsObject>, source: string) {
  return shard(ns, shardOf(source));
}

/** Every shard's samples, merged (see mergeShards). */
export async function collectMetrics(ns: DurableObjectNamespace<MetricsObject>): Promise<Sample[]> {
  return mergeShards(await everyShard(ns, (s) => s.snapshot()));
}

/** What the flushes have cost each shard since it started, in shard order. */
export function metricsPushCosts(ns: DurableObjectNamespace<MetricsObject>): Promise<CallCosts[]> {
  return everyShard(ns, (s) => s.pushCost());
}

/** Shards' samples merged into one list: counters are added, gauges combined as their family says. */
export function mergeShards(parts: Sample[][]): Sample[] {
  const merged = new Map<string, Sample>();
  for (const s of parts.flat()) {
    const key = `${s.name}\u0000${labelKey(s.labels)}`;
    const hit = merged.get(key);
    if (hit) hit.value = mergeOf(s.name) === "min" ? Math.min(hit.value, s.value) : hit.value + s.value;
    else merged.set(key, { ...s });
  }
  return [...merged.values()];
}
