// The tenant side of /metrics: which deltas run creation and syncs produce, counted once, and how
// they are flushed.

import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { labelKey, type MetricsBatch } from "../../src/ops/metrics";
import type { QueueStats, RunSync } from "../../src/tenant/protocol";
import { TenantStore } from "../../src/tenant/store";
import { gaugeSamples, TenantMetrics } from "../../src/tenant/tenant-metrics";
import { api, createRun, json, newTenant, waitForRun } from "../helpers/api";

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
      // The run's index row as each sync found it (the index itself is not updated here).
      const row = new TenantStore(state.storage.sql).runRow(run.id);
      const first = sync(run.id, { status: "failed", usage: usage(100, 20), retries: 2, finished_at: Date.now() });
      m.runSynced(t.id, first, true, 3, Date.now(), row);
      m.runSynced(t.id, first, false, 0, Date.now(), row && { ...row, status: "failed" }); // the same sync delivered twice
      const retried = sync(run.id, { status: "succeeded", usage: usage(250, 50), retries: 3, version: 9, attempt: 2 });
      m.runSynced(t.id, retried, true, 2, Date.now(), row && { ...row, status: "queued", attempt: 2 });
      await m.flush();
      // The failed run's baseline was kept for its retry; the succeeded run never moves again, so
      // nothing more was written for it.
      const kept = state.storage.sql.exec("SELECT input_tokens, retries FROM metrics_settled WHERE run_id = ?", run.id).toArray();
      expect(kept).toEqual([{ input_tokens: 100, retries: 2 }]);
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

  it("counts webhook delivery attempts by result: delivered, failed (retried), undeliverable (given up)", async () => {
    const t = await newTenant(10);
    const stub = env.TENANTS.get(env.TENANTS.idFromName(t.id));
    const sent = await runInDurableObject(stub, async (_obj, state) => {
      const out: MetricsBatch[] = [];
      const m = new TenantMetrics(
        state.storage.sql,
        async (_source, batch) => void out.push(batch),
        () => stats,
      );
      m.deliveryAttempted(t.id, { ok: false, final: false });
      m.deliveryAttempted(t.id, { ok: false, final: false });
      m.deliveryAttempted(t.id, { ok: false, final: true });
      m.deliveryAttempted(t.id, { ok: true, final: false });
      await m.flush();
      return out;
    });
    expect(total(sent, "edgecrew_webhook_deliveries_total", { result: "failed" })).toBe(2);
    expect(total(sent, "edgecrew_webhook_deliveries_total", { result: "undeliverable" })).toBe(1);
    expect(total(sent, "edgecrew_webhook_deliveries_total", { result: "delivered" })).toBe(1);
  });

  it("gauges add the tenant's credits (labelled with its id) and when its longest approval wait began", async () => {
    const t = await newTenant(300);
    const waiting = await createRun({ agent: "general", input: "- check !approve\n- report", max_credits: 50 }, t.key);
    await waitForRun(waiting.id, { key: t.key, until: (r) => r.status === "awaiting_approval" });
    const balance = await json(api("/v1/credits", { key: t.key }));
    const stub = env.TENANTS.get(env.TENANTS.idFromName(t.id));
    const { batch, since } = await runInDurableObject(stub, async (obj, state) => {
      const out: MetricsBatch[] = [];
      const m = new TenantMetrics(
        state.storage.sql,
        async (_source, b) => void out.push(b),
        () => obj.queueStats(),
        () => obj.balance(),
      );
      m.changed(t.id);
      await m.flush();
      const row = state.storage.sql.exec("SELECT updated_at FROM runs WHERE id = ?", waiting.id).one();
      return { batch: out[0], since: row.updated_at as number };
    });
    const gauge = (name: string, labels: Record<string, string> = {}) =>
      batch?.gauges?.find((g) => g.name === name && labelKey(g.labels) === labelKey(labels))?.value;
    expect(gauge("edgecrew_tenant_credits_available", { tenant: t.id })).toBe(balance.available);
    expect(gauge("edgecrew_tenant_credits_reserved", { tenant: t.id })).toBe(balance.reserved);
    expect(balance.reserved).toBeGreaterThan(0);
    expect(gauge("edgecrew_approvals_pending")).toBe(1);
    expect(gauge("edgecrew_approvals_oldest_pending_timestamp_seconds")).toBe(Math.floor(since / 1000));
  });

  it("without awaiting runs or an own ledger, neither the approval wait nor credit gauges are sent", async () => {
    const t = await newTenant(10);
    const stub = env.TENANTS.get(env.TENANTS.idFromName(t.id));
    const batch = await runInDurableObject(stub, async (obj, state) => {
      const out: MetricsBatch[] = [];
      const m = new TenantMetrics(
        state.storage.sql,
        async (_source, b) => void out.push(b),
        () => obj.queueStats(),
        () => null,
      );
      m.changed(t.id);
      await m.flush();
      return out[0];
    });
    const names = new Set(batch?.gauges?.map((g) => g.name));
    expect(names.has("edgecrew_queue_depth")).toBe(true);
    expect(names.has("edgecrew_approvals_oldest_pending_timestamp_seconds")).toBe(false);
    expect(names.has("edgecrew_tenant_credits_available")).toBe(false);
  });
});
