// GET /v1/workers: the queue consumers with a live heartbeat. Workers serve every tenant and the
// test files running at the same time, so the test follows the one worker that ran its run.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { SHORT_TTL_MS } from "../../src/queue/lane-worker";
import { ADMIN, allEvents, api, createRun, json, newTenant, waitForRun } from "../helpers/api";

type Worker = { id: string; lane: string; last_beat_at: string; runs_in_flight: number };

async function listed(id: string): Promise<Worker | undefined> {
  return ((await json(api("/v1/workers"))).workers as Worker[]).find((w) => w.id === id);
}

describe("GET /v1/workers", () => {
  it("lists the worker running a run, and stops counting the run once it is done", async () => {
    const t = await newTenant();
    const run = await createRun({ agent: "general", input: "- think !slow 1500" }, t.key);
    await waitForRun(run.id, { key: t.key, until: (r) => r.status === "running" });
    const started = (await allEvents(run.id, t.key)).find((e) => e.type === "run.started");
    const id = started.data.worker as string;
    const during = await listed(id);
    expect(during).toMatchObject({ id, lane: "normal" });
    expect(during!.runs_in_flight).toBeGreaterThanOrEqual(1);
    expect(Date.parse(during!.last_beat_at)).toBeGreaterThan(Date.now() - 10_000);
    await waitForRun(run.id, { key: t.key });
    // Once the run is done, the worker's count goes down within a second while other batches keep
    // it busy (other files' runs share it), or it drops out of the list at most SHORT_TTL_MS after
    // its last beat (src/queue/lane-worker.ts).
    const deadline = Date.now() + 3 * SHORT_TTL_MS;
    let after = await listed(id);
    while (after !== undefined && after.runs_in_flight >= during!.runs_in_flight && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      after = await listed(id);
    }
    expect(after?.runs_in_flight ?? 0, "runs the worker still counts").toBeLessThan(during!.runs_in_flight);
  });

  it("GET /v1/admin/shared/cost counts the heartbeat calls and metrics flushes and the rows they wrote; admins only", async () => {
    type Costs = { requests: number; rows_written: number; since: string };
    type Shared = { heartbeats: Costs; metrics: Costs[] };
    const total = (s: Shared) => ({
      requests: s.metrics.reduce((n, m) => n + m.requests, 0),
      rows_written: s.metrics.reduce((n, m) => n + m.rows_written, 0),
      since: s.metrics.map((m) => m.since).join(),
    });
    const before = (await json(api("/v1/admin/shared/cost", { key: ADMIN }))) as Shared;
    const t = await newTenant();
    const run = await createRun({ agent: "general", input: "- think" }, t.key);
    await waitForRun(run.id, { key: t.key });
    await json(api("/v1/workers", { key: t.key }));
    const grew = (now: Shared) =>
      now.heartbeats.requests - before.heartbeats.requests >= 2 && total(now).requests - total(before).requests >= 1;
    // The tenant flushes its metrics at most every 5 s.
    let after = (await json(api("/v1/admin/shared/cost", { key: ADMIN }))) as Shared;
    for (const until = Date.now() + 15_000; !grew(after) && Date.now() < until; ) {
      await new Promise((r) => setTimeout(r, 250));
      after = (await json(api("/v1/admin/shared/cost", { key: ADMIN }))) as Shared;
    }
    expect(after.metrics).toHaveLength(4);
    const [hb0, hb1, m0, m1] = [before.heartbeats, after.heartbeats, total(before), total(after)];
    expect(hb1.since).toBe(hb0.since);
    expect(Number.isNaN(Date.parse(hb1.since))).toBe(false);
    expect(m1.since).toBe(m0.since);
    // At least the beat of the worker that ran the run and the list just read, and the tenant's
    // flush (other files' runs add theirs).
    expect(hb1.requests - hb0.requests).toBeGreaterThanOrEqual(2);
    expect(hb1.rows_written - hb0.rows_written).toBeGreaterThanOrEqual(1);
    expect(m1.requests - m0.requests).toBeGreaterThanOrEqual(1);
    expect(m1.rows_written - m0.rows_written).toBeGreaterThanOrEqual(1);
    expect((await api("/v1/admin/shared/cost", { key: t.key })).status).toBe(401);
  });

  it("a beat writes one row, another beat of the same worker one, a stop one; the list of live workers none", async () => {
    const ops = env.OPS.get(env.OPS.idFromName(`rows-${crypto.randomUUID()}`));
    const rows = async (call: () => Promise<unknown>) => {
      const before = await ops.heartbeatCost();
      await call();
      const after = await ops.heartbeatCost();
      return { requests: after.requests - before.requests, rows: after.rows_written - before.rows_written };
    };
    expect(await rows(() => ops.beat("w-rows", "normal", 2, 60_000))).toEqual({ requests: 1, rows: 1 });
    expect(await rows(() => ops.beat("w-rows", "normal", 1, 60_000))).toEqual({ requests: 1, rows: 1 });
    expect(await rows(() => ops.list())).toEqual({ requests: 1, rows: 0 });
    expect(await rows(() => ops.stop("w-rows"))).toEqual({ requests: 1, rows: 1 });
    expect(await ops.list()).toEqual([]);
  });

  it("needs a key", async () => {
    const res = await api("/v1/workers", { key: null });
    expect(res.status).toBe(401);
  });
});
