// The tenant side of /metrics: which deltas run creation and syncs produce, counted once, and how
// they are flushed.

import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { labelKey, type MetricsBatch } from "../../src/ops/metrics";
import type { QueueStats, RunSync } from "../../src/tenant/protocol";
import { gaugeSamples, TenantMetrics } from "../../src/tenant/tenant-metrics";
import { createRun, newTenant } from "../helpers/api";

const stats: QueueStats = {
  lanes: { high: { queued: 1, running: 0 }, normal: { queued: 2, running: 1 }, low: { queued: 0, running: 0 } },
  awaiting_approval: 1,
  scheduled: 3,
  retrying: 0,
  dead: 4,
};

function sync(id: string, patch: Partial<RunSync>): RunSync {
  return {
    id,
    version: 5,
    status: "succeeded",
    spent: 3,
    attempt: 1,
    charges: [],
    finished_at: null,
    not_before: null,
    error: null,
    ...patch,
  } as RunSync;
}

const total = (batches: MetricsBatch[], name: string, labels: Record<string, string>) =>
  batches
    .flatMap((b) => b.counters)
    .filter((s) => s.name === name && labelKey(s.labels) === labelKey(labels))
    .reduce((n, s) => n + s.value, 0);

describe("tenant metrics", () => {
  it("gauges come from the tenant's queue counts", () => {
    const g = Object.fromEntries(gaugeSamples(stats).map((s) => [`${s.name}${labelKey(s.labels)}`, s.value]));
    expect(g[`edgecrew_queue_depth${labelKey({ lane: "normal" })}`]).toBe(2);
    expect(g[`edgecrew_runs_running${labelKey({ lane: "normal" })}`]).toBe(1);
    expect(g[`edgecrew_runs_dead${labelKey({})}`]).toBe(4);
    expect(g[`edgecrew_approvals_pending${labelKey({})}`]).toBe(1);
    expect(g[`edgecrew_runs_scheduled${labelKey({})}`]).toBe(3);
  });

  it("a run that finishes again after a retry adds only its new tokens and retries", async () => {
    const t = await newTenant(100);
    const run = await createRun({ agent: "orders", input: "later", run_at: new Date(Date.now() + 3600_000).toISOString() }, t.key);
    const stub = env.TENANTS.get(env.TENANTS.idFromName(t.id));
    const batches = await runInDurableObject(stub, async (_obj, state) => {
      const sent: MetricsBatch[] = [];
      const m = new TenantMetrics(
        state.storage.sql,
        async (_source, batch) => void sent.push(batch),
        () => stats,
      );
      const usage = (input_tokens: number, output_tokens: number) => ({
        input_tokens,
        output_tokens,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 0,
      });
      const first = sync(run.id, { status: "failed", usage: usage(100, 20), retries: 2, finished_at: Date.now() });
      m.runSynced(t.id, first, true, 3, Date.now());
      m.runSynced(t.id, first, false, 0, Date.now()); // the same sync delivered twice
      m.runSynced(t.id, sync(run.id, { status: "succeeded", usage: usage(250, 50), retries: 3, version: 9 }), true, 2, Date.now());
      await m.flush();
      return sent;
    });
    expect(batches).toHaveLength(1);
    expect(total(batches, "edgecrew_model_tokens_total", { agent: "orders", type: "input" })).toBe(250);
    expect(total(batches, "edgecrew_model_tokens_total", { agent: "orders", type: "output" })).toBe(50);
    expect(total(batches, "edgecrew_retries_total", { agent: "orders" })).toBe(3);
    expect(total(batches, "edgecrew_credits_charged_total", { agent: "orders" })).toBe(5);
    expect(total(batches, "edgecrew_runs_finished_total", { agent: "orders", status: "failed" })).toBe(1);
    expect(total(batches, "edgecrew_runs_finished_total", { agent: "orders", status: "succeeded" })).toBe(1);
    expect(total(batches, "edgecrew_run_duration_seconds_count", { agent: "orders", status: "succeeded" })).toBe(1);
    expect(batches[0]?.gauges).toEqual(gaugeSamples(stats));
  });

  it("flushes at once, then at most once per interval; unchanged gauges are not resent; a failed flush keeps its deltas", async () => {
    const t = await newTenant(10);
    const stub = env.TENANTS.get(env.TENANTS.idFromName(t.id));
    const result = await runInDurableObject(stub, async (_obj, state) => {
      const sent: MetricsBatch[] = [];
      let fail = false;
      const m = new TenantMetrics(
        state.storage.sql,
        async (_source, batch) => {
          if (fail) throw new Error("metrics store unavailable");
          sent.push(batch);
        },
        () => stats,
      );
      m.runCreated(t.id, "general");
      await new Promise((r) => setTimeout(r, 50));
      const afterFirst = sent.length;
      m.runCreated(t.id, "general");
      m.runRefused(t.id, "insufficient_credits");
      m.runRefused(t.id, "invalid_request");
      await new Promise((r) => setTimeout(r, 50));
      const withinInterval = sent.length;
      fail = true;
      await m.flush();
      fail = false;
      await m.flush();
      return { sent, afterFirst, withinInterval };
    });
    expect(result.afterFirst).toBe(1);
    expect(result.withinInterval).toBe(1);
    expect(result.sent).toHaveLength(2);
    expect(result.sent[1]?.gauges).toBeNull();
    expect(total(result.sent, "edgecrew_runs_created_total", { agent: "general" })).toBe(2);
    expect(total(result.sent, "edgecrew_runs_refused_total", { reason: "insufficient_credits" })).toBe(1);
    expect(total(result.sent, "edgecrew_runs_refused_total", { reason: "invalid_request" })).toBe(0);
  });
});
