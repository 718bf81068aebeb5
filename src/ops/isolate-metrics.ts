// Counters the queue consumers of one Worker isolate record (model call outcomes), buffered in
// memory and pushed to a metrics shard at the end of a batch, at most once per flush interval.

import type { ModelClient } from "../adapters/model/port";
import { toRunFailure } from "../domain/errors";
import { randomSecret } from "../domain/ids";
import { type Labels, type MetricsBatch, MetricsBuffer } from "./metrics";
import { metricsStub } from "./metrics-object";

/** Shortest time between two pushes of one isolate (ms); the same as a tenant's. */
export const ISOLATE_FLUSH_INTERVAL_MS = 5000;

/** Sends a batch to the metrics store on behalf of `source`. */
export type IsolateSink = (source: string, batch: MetricsBatch) => Promise<void>;

/**
 * One isolate's counter deltas. A push waits until the interval since the previous one has passed,
 * so however many batches an isolate runs it costs at most one metrics request per interval; what
 * is recorded while a push is in flight goes with the next. Deltas not yet pushed are lost if the
 * isolate is evicted meanwhile (counters stay monotonic; rates over them are unaffected).
 */
export class IsolateMetrics {
  private readonly buffer = new MetricsBuffer();
  private lastPush = 0;
  private pending: Promise<void> | null = null;

  constructor(
    /** Names this isolate in the metrics store, which also picks its shard (default: random, made at first use). */
    private name: string | null = null,
    private readonly intervalMs = ISOLATE_FLUSH_INTERVAL_MS,
  ) {}

  /** The source name; made lazily because Workers refuse random values in the global scope. */
  get source(): string {
    this.name ??= `isolate-${randomSecret(6)}`;
    return this.name;
  }

  /** Deltas waiting for the next push. */
  get size(): number {
    return this.buffer.size;
  }

  add(name: string, labels: Labels, by = 1): void {
    this.buffer.add(name, labels, by);
  }

  /**
   * Pushes the buffered deltas once the interval since the last push has passed (at once if it
   * has). Calls made while a push is scheduled share it. Resolves when that push is done; never
   * rejects: a failed push is logged and its deltas kept for the next.
   */
  flushSoon(sink: IsolateSink): Promise<void> {
    if (this.pending) return this.pending;
    if (this.buffer.size === 0) return Promise.resolve();
    const wait = Math.max(0, this.lastPush + this.intervalMs - Date.now());
    this.pending = new Promise<void>((resolve) => setTimeout(resolve, wait))
      .then(() => this.push(sink))
      .finally(() => {
        this.pending = null;
      });
    return this.pending;
  }

  private async push(sink: IsolateSink): Promise<void> {
    const counters = this.buffer.drain();
    if (counters.length === 0) return;
    this.lastPush = Date.now();
    try {
      await sink(this.source, { counters, gauges: null });
    } catch (e) {
      this.buffer.restore(counters);
      console.warn("isolate metrics push failed; deltas kept for the next push", { source: this.source, error: String(e) });
    }
  }
}

/** This isolate's metrics (one per Worker isolate). */
export const isolateMetrics = new IsolateMetrics();

/** Pushes this isolate's deltas to its metrics shard (see flushSoon); give it to `ctx.waitUntil`. */
export function flushIsolateMetrics(env: Env): Promise<void> {
  return isolateMetrics.flushSoon((source, batch) => metricsStub(env.METRICS, source).push(source, batch));
}

/**
 * Wraps a model client to count each call in `edgecrew_model_calls_total{outcome}`: "ok", or the
 * run failure code the call raised (a closed set, so the label stays bounded). Errors are rethrown.
 */
export function countModelCalls(client: ModelClient, metrics: IsolateMetrics = isolateMetrics): ModelClient {
  return {
    ...client,
    async createMessage(req, ctx) {
      try {
        const res = await client.createMessage(req, ctx);
        metrics.add("edgecrew_model_calls_total", { outcome: "ok" });
        return res;
      } catch (e) {
        metrics.add("edgecrew_model_calls_total", { outcome: toRunFailure(e).code });
        throw e;
      }
    },
  };
}
