// Counters the queue consumers of one Worker isolate record (model call outcomes), buffered in
// memory and pushed to a metrics shard at the end of a batch: when the isolate's last push is old
// enough, or at once when the batch saw a failure, so error ratios stay current.

import type { ModelClient } from "../adapters/model/port";
import { RunFailure } from "../domain/errors";
import { randomSecret } from "../domain/ids";
import { errorText, log } from "./log";
import { type Labels, type MetricsBatch, MetricsBuffer } from "./metrics";
import { metricsStub } from "./metrics-object";

/** Shortest time between two routine pushes of one isolate (ms); the same as a tenant's flush. */
export const ISOLATE_FLUSH_INTERVAL_MS = 5000;

/** Sends a batch to the metrics store on behalf of `source`. */
export type IsolateSink = (source: string, batch: MetricsBatch) => Promise<void>;

/**
 * One isolate's counter deltas. Nothing waits: a batch's end pushes when the last push is at least
 * the interval old, or when a failure was recorded since (then with every delta buffered before
 * it); otherwise the deltas stay for a later batch. So an isolate costs at most one metrics request
 * per interval while calls succeed. Successes recorded after an isolate's last push wait for its
 * next batch, and are lost if it is evicted first (counters stay monotonic; rates are unaffected).
 * What is recorded while a push is in flight goes with the next.
 */
export class IsolateMetrics {
  private readonly buffer = new MetricsBuffer();
  private lastPush = 0;
  private urgent = false;
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

  /** Deltas waiting for a push. */
  get size(): number {
    return this.buffer.size;
  }

  /** Buffers a counter delta; a `failure` makes the next batch end push at once. */
  add(name: string, labels: Labels, by = 1, failure = false): void {
    this.buffer.add(name, labels, by);
    if (failure) this.urgent = true;
  }

  /**
   * Called at the end of a batch: pushes the buffered deltas if a failure was recorded or the
   * interval since the last push has passed, else keeps them. Resolves when the push (or the one
   * already in flight) is done; never rejects: a failed push is logged and its deltas kept.
   */
  batchEnded(sink: IsolateSink): Promise<void> {
    if (this.pending) return this.pending;
    if (this.buffer.size === 0) return Promise.resolve();
    if (!this.urgent && Date.now() - this.lastPush < this.intervalMs) return Promise.resolve();
    this.pending = this.push(sink).finally(() => {
      this.pending = null;
    });
    return this.pending;
  }

  private async push(sink: IsolateSink): Promise<void> {
    const counters = this.buffer.drain();
    const urgent = this.urgent;
    this.urgent = false;
    this.lastPush = Date.now();
    try {
      await sink(this.source, { counters, gauges: null });
    } catch (e) {
      this.buffer.restore(counters);
      this.urgent ||= urgent;
      log.warn("metrics.push_failed", "isolate metrics push failed; deltas kept for the next push", {
        source: this.source,
        error: errorText(e),
      });
    }
  }
}

/** This isolate's metrics (one per Worker isolate). */
export const isolateMetrics = new IsolateMetrics();

/** At the end of a queue batch: pushes this isolate's deltas when due (see batchEnded); give it to `ctx.waitUntil`. */
export function flushIsolateMetrics(env: Env): Promise<void> {
  return isolateMetrics.batchEnded((source, batch) => metricsStub(env.METRICS, source).push(source, batch));
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
        const outcome = e instanceof RunFailure ? e.code : "worker_crash";
        metrics.add("edgecrew_model_calls_total", { outcome }, 1, true);
        log.warn("model.error", "model call failed", {
          run_id: ctx.runId,
          tenant: ctx.tenantId,
          step: ctx.step,
          attempt: ctx.attempt,
          provider: client.provider,
          code: outcome,
          error: errorText(e),
        });
        throw e;
      }
    },
  };
}
