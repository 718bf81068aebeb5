// Counters of a consumer isolate: model calls counted by outcome through the real scripted model,
// pushed at a batch's end when due or when a call failed, kept when a push fails.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { ModelRequest } from "../../src/adapters/model/port";
import { scriptedModel } from "../../src/adapters/model/scripted";
import { RunFailure } from "../../src/domain/errors";
import { countModelCalls, IsolateMetrics } from "../../src/ops/isolate-metrics";
import { labelKey, type MetricsBatch, type Sample } from "../../src/ops/metrics";

const stepRequest = (line: string): ModelRequest => ({
  model: "scripted",
  system: "",
  messages: [{ role: "user", content: `<current_step><instructions>${line}</instructions></current_step>` }],
  tools: [],
  max_tokens: 100,
});
const ctx = (failedCalls: number) => ({ runId: "r1", step: 1, attempt: failedCalls + 1, call: 0, failedCalls });
const value = (samples: Sample[], name: string, labels: Record<string, string>) =>
  samples.filter((s) => s.name === name && labelKey(s.labels) === labelKey(labels)).reduce((n, s) => n + s.value, 0);

describe("isolate metrics", () => {
  it("counts model calls by outcome: ok, or the failure code; the failure still reaches the caller", async () => {
    const metrics = new IsolateMetrics("test-calls");
    const model = countModelCalls(scriptedModel(), metrics);
    await model.createMessage(stepRequest("- fine"), ctx(0));
    await expect(model.createMessage(stepRequest("- shaky !fail-transient 1"), ctx(0))).rejects.toBeInstanceOf(RunFailure);
    await model.createMessage(stepRequest("- shaky !fail-transient 1"), ctx(1));
    await expect(model.createMessage(stepRequest("- no !fail-permanent"), ctx(0))).rejects.toMatchObject({ code: "model_bad_request" });
    const sent: MetricsBatch[] = [];
    await metrics.batchEnded(async (_source, batch) => void sent.push(batch));
    const counters = sent.flatMap((b) => b.counters);
    expect(value(counters, "edgecrew_model_calls_total", { outcome: "ok" })).toBe(2);
    expect(value(counters, "edgecrew_model_calls_total", { outcome: "model_overloaded" })).toBe(1);
    expect(value(counters, "edgecrew_model_calls_total", { outcome: "model_bad_request" })).toBe(1);
    expect(sent.every((b) => b.gauges === null)).toBe(true);
  });

  it("a batch end pushes when the last push is an interval old; sooner, successes wait; nothing buffered sends nothing", async () => {
    const metrics = new IsolateMetrics("test-interval", 60_000);
    const sent: MetricsBatch[] = [];
    const sink = async (_source: string, batch: MetricsBatch) => void sent.push(batch);
    await metrics.batchEnded(sink);
    expect(sent).toHaveLength(0);
    metrics.add("edgecrew_model_calls_total", { outcome: "ok" });
    await metrics.batchEnded(sink); // the first push is due at once
    expect(sent).toHaveLength(1);
    metrics.add("edgecrew_model_calls_total", { outcome: "ok" }, 2);
    await metrics.batchEnded(sink);
    expect(sent).toHaveLength(1);
    expect(metrics.size).toBe(1);
  });

  it("a failure is pushed at the end of its batch, with the successes buffered before it", async () => {
    const metrics = new IsolateMetrics("test-failure-push", 60_000);
    const model = countModelCalls(scriptedModel(), metrics);
    const sent: MetricsBatch[] = [];
    const sink = async (_source: string, batch: MetricsBatch) => void sent.push(batch);
    await model.createMessage(stepRequest("- fine"), ctx(0));
    await metrics.batchEnded(sink);
    await model.createMessage(stepRequest("- fine"), ctx(0));
    await metrics.batchEnded(sink);
    expect(sent).toHaveLength(1);
    await expect(model.createMessage(stepRequest("- shaky !fail-transient 1"), ctx(0))).rejects.toBeInstanceOf(RunFailure);
    await metrics.batchEnded(sink);
    expect(sent).toHaveLength(2);
    expect(value(sent[1]!.counters, "edgecrew_model_calls_total", { outcome: "ok" })).toBe(1);
    expect(value(sent[1]!.counters, "edgecrew_model_calls_total", { outcome: "model_overloaded" })).toBe(1);
    // Back to successes only: they wait for the interval again.
    await model.createMessage(stepRequest("- fine"), ctx(0));
    await metrics.batchEnded(sink);
    expect(sent).toHaveLength(2);
  });

  it("batch ends while a push is in flight share it; what arrives meanwhile goes with a later push", async () => {
    const metrics = new IsolateMetrics("test-in-flight", 0);
    const sent: MetricsBatch[] = [];
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const slow = async (_source: string, batch: MetricsBatch) => {
      await gate;
      sent.push(batch);
    };
    metrics.add("edgecrew_model_calls_total", { outcome: "ok" });
    const first = metrics.batchEnded(slow);
    metrics.add("edgecrew_model_calls_total", { outcome: "ok" }, 2);
    expect(metrics.batchEnded(slow)).toBe(first);
    release();
    await first;
    expect(sent).toHaveLength(1);
    expect(value(sent[0]!.counters, "edgecrew_model_calls_total", { outcome: "ok" })).toBe(1);
    await metrics.batchEnded(slow);
    expect(value(sent[1]!.counters, "edgecrew_model_calls_total", { outcome: "ok" })).toBe(2);
  });

  it("a failed push keeps its deltas, and their urgency, for the next one and does not reject", async () => {
    const metrics = new IsolateMetrics("test-failure", 60_000);
    metrics.add("edgecrew_model_calls_total", { outcome: "model_timeout" }, 1, true);
    await expect(
      metrics.batchEnded(async () => {
        throw new Error("metrics store unavailable");
      }),
    ).resolves.toBeUndefined();
    expect(metrics.size).toBe(1);
    metrics.add("edgecrew_model_calls_total", { outcome: "model_timeout" });
    const sent: MetricsBatch[] = [];
    await metrics.batchEnded(async (_s, batch) => void sent.push(batch));
    expect(value(sent[0]!.counters, "edgecrew_model_calls_total", { outcome: "model_timeout" })).toBe(2);
    expect(metrics.size).toBe(0);
  });

  it("pushed deltas reach the metrics store under the isolate's source", async () => {
    const metrics = new IsolateMetrics(`test-store-${crypto.randomUUID()}`);
    metrics.add("edgecrew_model_calls_total", { outcome: "ok" }, 4);
    const shard = env.METRICS.get(env.METRICS.idFromName(`test-${crypto.randomUUID()}`));
    await metrics.batchEnded((source, batch) => shard.push(source, batch));
    expect(value(await shard.snapshot(), "edgecrew_model_calls_total", { outcome: "ok" })).toBe(4);
  });
});
