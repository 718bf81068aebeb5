// The metrics store: Durable Objects (a few shards, by source) that add up the counter deltas
// tenants and consumer isolates flush and keep each tenant's latest gauges; GET /metrics reads and
// merges every shard (gauges as their family says: summed, or the minimum).

import { DurableObject } from "cloudflare:workers";
import { migrate, type StoreSchema } from "../storage/migrations";
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
  ],
};

export class MetricsObject extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    migrate(ctx.storage, [METRICS_SCHEMA]);
  }

  /** Adds a source's counter deltas and, when given, replaces its gauges. One transaction. */
  push(source: string, batch: MetricsBatch): void {
    const sql = this.ctx.storage.sql;
    const now = Date.now();
    this.ctx.storage.transactionSync(() => {
      for (const c of batch.counters) {
        sql.exec(
          "INSERT INTO counters (name, labels, value) VALUES (?, ?, ?) ON CONFLICT (name, labels) DO UPDATE SET value = value + excluded.value",
          c.name,
          labelKey(c.labels),
          c.value,
        );
      }
      if (batch.gauges) {
        sql.exec("DELETE FROM gauges WHERE source = ?", source);
        for (const g of batch.gauges) {
          sql.exec(
            "INSERT INTO gauges (source, name, labels, value, updated_at) VALUES (?, ?, ?, ?, ?)",
            source,
            g.name,
            labelKey(g.labels),
            g.value,
            now,
          );
        }
      }
    });
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

/** The metrics shard a source (a tenant id) flushes to. */
export function metricsStub(ns: DurableObjectNamespace<MetricsObject>, source: string) {
  return ns.get(ns.idFromName(`metrics-${shardOf(source)}`));
}

/** Every shard's samples, merged (see mergeShards). */
export async function collectMetrics(ns: DurableObjectNamespace<MetricsObject>): Promise<Sample[]> {
  const parts = await Promise.all(Array.from({ length: METRICS_SHARDS }, (_, i) => ns.get(ns.idFromName(`metrics-${i}`)).snapshot()));
  return mergeShards(parts);
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
