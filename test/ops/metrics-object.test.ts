// The metrics store: counter deltas add up, each source's gauges replace its previous ones and are
// summed across sources (the oldest approval wait: the minimum); GET /metrics merges the shards.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { labelKey, type Sample } from "../../src/ops/metrics";
import { mergeShards } from "../../src/ops/metrics-object";

const fresh = () => env.METRICS.get(env.METRICS.idFromName(`test-${crypto.randomUUID()}`));
const asMap = (samples: Sample[]) => Object.fromEntries(samples.map((s) => [`${s.name}${labelKey(s.labels)}`, s.value]));
const k = (name: string, labels: Record<string, string> = {}) => `${name}${labelKey(labels)}`;

describe("metrics object", () => {
  it("adds counter deltas pushed by several sources", async () => {
    const m = fresh();
    await m.push("t1", { counters: [{ name: "a_total", labels: { agent: "general" }, value: 2 }], gauges: null });
    await m.push("t2", { counters: [{ name: "a_total", labels: { agent: "general" }, value: 3 }], gauges: null });
    await m.push("t1", { counters: [{ name: "a_total", labels: { agent: "orders" }, value: 1 }], gauges: null });
    expect(asMap(await m.snapshot())).toEqual({ [k("a_total", { agent: "general" })]: 5, [k("a_total", { agent: "orders" })]: 1 });
  });

  it("keeps the latest gauges of each source and sums them; a batch without gauges keeps the last ones", async () => {
    const m = fresh();
    const depth = (lane: string, value: number) => ({ name: "edgecrew_queue_depth", labels: { lane }, value });
    await m.push("t1", { counters: [], gauges: [depth("high", 4), depth("low", 1)] });
    await m.push("t2", { counters: [], gauges: [depth("high", 2)] });
    await m.push("t1", { counters: [], gauges: [depth("high", 1)] });
    await m.push("t2", { counters: [{ name: "a_total", labels: {}, value: 1 }], gauges: null });
    expect(asMap(await m.snapshot())).toEqual({
      [k("edgecrew_queue_depth", { lane: "high" })]: 3,
      [k("a_total")]: 1,
    });
  });

  it("keeps the oldest approval wait over the sources of a shard", async () => {
    const m = fresh();
    const oldest = (value: number) => ({ name: "edgecrew_approvals_oldest_pending_timestamp_seconds", labels: {}, value });
    await m.push("t1", { counters: [], gauges: [oldest(1_700_000_500)] });
    await m.push("t2", { counters: [], gauges: [oldest(1_700_000_100)] });
    expect(asMap(await m.snapshot())).toEqual({ [k("edgecrew_approvals_oldest_pending_timestamp_seconds")]: 1_700_000_100 });
    // t2's approval was decided: its gauges no longer hold the series.
    await m.push("t2", { counters: [], gauges: [] });
    expect(asMap(await m.snapshot())).toEqual({ [k("edgecrew_approvals_oldest_pending_timestamp_seconds")]: 1_700_000_500 });
  });

  it("a flush writes one row per counter and one per gauge that changed, came or went, and counts itself", async () => {
    const m = fresh();
    const depth = (lane: string, value: number) => ({ name: "edgecrew_queue_depth", labels: { lane }, value });
    const counter = (value: number) => ({ name: "a_total", labels: { agent: "general" }, value });
    const rows = async (batch: Parameters<typeof m.push>[1]) => {
      const before = await m.pushCost();
      await m.push("t1", batch);
      const after = await m.pushCost();
      expect(after.requests - before.requests).toBe(1);
      expect(after.since).toBe(before.since);
      return after.rows_written - before.rows_written;
    };
    expect(await rows({ counters: [counter(1)], gauges: [depth("high", 4), depth("low", 1)] })).toBe(3);
    expect(await rows({ counters: [counter(2)], gauges: null })).toBe(1);
    // Same gauges again: nothing written for them.
    expect(await rows({ counters: [], gauges: [depth("high", 4), depth("low", 1)] })).toBe(0);
    // One changed, one gone, one new.
    expect(await rows({ counters: [], gauges: [depth("high", 5), depth("normal", 2)] })).toBe(3);
    expect(asMap(await m.snapshot())).toEqual({
      [k("a_total", { agent: "general" })]: 3,
      [k("edgecrew_queue_depth", { lane: "high" })]: 5,
      [k("edgecrew_queue_depth", { lane: "normal" })]: 2,
    });
  });

  it("merges shards: counters and summed gauges add up, the oldest approval wait is the minimum", () => {
    const oldest = "edgecrew_approvals_oldest_pending_timestamp_seconds";
    const merged = mergeShards([
      [
        { name: "edgecrew_runs_created_total", labels: { agent: "general" }, value: 2 },
        { name: "edgecrew_queue_depth", labels: { lane: "low" }, value: 1 },
        { name: oldest, labels: {}, value: 300 },
      ],
      [
        { name: "edgecrew_runs_created_total", labels: { agent: "general" }, value: 5 },
        { name: "edgecrew_queue_depth", labels: { lane: "low" }, value: 4 },
        { name: oldest, labels: {}, value: 200 },
      ],
      [{ name: oldest, labels: {}, value: 900 }],
    ]);
    expect(asMap(merged)).toEqual({
      [k("edgecrew_runs_created_total", { agent: "general" })]: 7,
      [k("edgecrew_queue_depth", { lane: "low" })]: 5,
      [k(oldest)]: 200,
    });
  });
});
