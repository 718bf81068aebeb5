// The metrics store: Durable Objects (a few shards, by tenant) that add up the counter deltas
// tenants flush and keep each tenant's latest gauges; GET /metrics reads and merges every shard.

import { DurableObject } from "cloudflare:workers";
import { migrate, type StoreSchema } from "../storage/migrations";
import { labelKey, labelsFromKey, type MetricsBatch, type Sample } from "./metrics";

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

  /** Counter totals and gauges summed over sources. */
  snapshot(): Sample[] {
    const sql = this.ctx.storage.sql;
    const rows = [
      ...sql.exec("SELECT name, labels, value FROM counters").toArray(),
      ...sql.exec("SELECT name, labels, sum(value) AS value FROM gauges GROUP BY name, labels").toArray(),
    ];
    return rows.map((r) => ({ name: r.name as string, labels: labelsFromKey(r.labels as string), value: r.value as number }));
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

/** Every shard's samples, merged: counters and gauges of the same series are added. */
export async function collectMetrics(ns: DurableObjectNamespace<MetricsObject>): Promise<Sample[]> {
  const parts = await Promise.all(Array.from({ length: METRICS_SHARDS }, (_, i) => ns.get(ns.idFromName(`metrics-${i}`)).snapshot()));
  const merged = new Map<string, Sample>();
  for (const s of parts.flat()) {
    const key = `${s.name}\u0000${labelKey(s.labels)}`;
    const hit = merged.get(key);
    if (hit) hit.value += s.value;
    else merged.set(key, { ...s });
  }
  return [...merged.values()];
}
