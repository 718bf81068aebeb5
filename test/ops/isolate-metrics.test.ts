// Counters of a consumer isolate: model calls counted by outcome through the real scripted model,
// pushed to the metrics store at most once per interval, kept when a push fails.
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
    const metrics = new IsolateMetrics("test-calls", 0);
    const model = countModelCalls(scriptedModel(), metrics);
    await model.createMessage(stepRequest("- fine"), ctx(0));
    await expect(model.createMessage(stepRequest("- shaky !fail-transient 1"), ctx(0))).rejects.toBeInstanceOf(RunFailure);
    await model.createMessage(stepRequest("- shaky !fail-transient 1"), ctx(1));
    await expect(model.createMessage(stepRequest("- no !fail-permanent"), ctx(0))).rejects.toMatchObject({ code: "model_bad_request" });
    const sent: MetricsBatch[] = [];
    await metrics.flushSoon(async (_source, batch) => void sent.push(batch));
    const counters = sent.flatMap((b) => b.counters);
    expect(value(counters, "edgecrew_model_calls_total", { outcome: "ok" })).toBe(2);
    expect(value(counters, "edgecrew_model_calls_total", { outcome: "model_overloaded" })).toBe(1);
    expect(value(counters, "edgecrew_model_calls_total", { outcome: "model_bad_request" })).toBe(1);
    expect(sent.every((b) => b.gauges === null)).toBe(true);
  });

  it("pushes at most once per interval; calls while a push waits share it; nothing to push sends nothing", async () => {
    const metrics = new IsolateMetrics("test-interval", 300);
    const sent: MetricsBatch[] = [];
    const sink = async (_source: string, batch: MetricsBatch) => void sent.push(batch);
    await metrics.flushSoon(sink);
    expect(sent).toHaveLength(0);
    metrics.add("edgecrew_model_calls_total", { outcome: "ok" });
    await metrics.flushSoon(sink);
    expect(sent).toHaveLength(1);
    metrics.add("edgecrew_model_calls_total", { outcome: "ok" });
    const a = metrics.flushSoon(sink);
    metrics.add("edgecrew_model_calls_total", { outcome: "ok" }, 2);
    const b = metrics.flushSoon(sink);
    expect(b).toBe(a);
    expect(sent).toHaveLength(1);
    await b;
    expect(sent).toHaveLength(2);
    expect(value(sent[1]!.counters, "edgecrew_model_calls_total", { outcome: "ok" })).toBe(3);
  });

  it("a failed push keeps its deltas for the next one and does not reject", async () => {
    const metrics = new IsolateMetrics("test-failure", 0);
    metrics.add("edgecrew_model_calls_total", { outcome: "model_timeout" });
    await expect(
      metrics.flushSoon(async () => {
        throw new Error("metrics store unavailable");
      }),
    ).resolves.toBeUndefined();
    expect(metrics.size).toBe(1);
    metrics.add("edgecrew_model_calls_total", { outcome: "model_timeout" });
    const sent: MetricsBatch[] = [];
    await metrics.flushSoon(async (_s, batch) => void sent.push(batch));
    expect(value(sent[0]!.counters, "edgecrew_model_calls_total", { outcome: "model_timeout" })).toBe(2);
    expect(metrics.size).toBe(0);
  });

  it("pushed deltas reach the metrics store under the isolate's source", async () => {
    const metrics = new IsolateMetrics(`test-store-${crypto.randomUUID()}`, 0);
    metrics.add("edgecrew_model_calls_total", { outcome: "ok" }, 4);
    const shard = env.METRICS.get(env.METRICS.idFromName(`test-${crypto.randomUUID()}`));
    await metrics.flushSoon((source, batch) => shard.push(source, batch));
    expect(value(await shard.snapshot(), "edgecrew_model_calls_total", { outcome: "ok" })).toBe(4);
  });
});
