// GET /v1/workers: the queue consumers with a live heartbeat. Workers serve every tenant and the
// test files running at the same time, so the test follows the one worker that ran its run.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
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
    // The worker removes itself when its batch ends. Its batch may hold another file's message
    // that is still running: then it is still listed, with this run no longer counted.
    const deadline = Date.now() + 10_000;
    let after = await listed(id);
    while (after !== undefined && after.runs_in_flight >= during!.runs_in_flight && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      after = await listed(id);
    }
    expect(after?.runs_in_flight ?? 0, "runs the worker still counts").toBeLessThan(during!.runs_in_flight);
  });

  it("GET /v1/admin/heartbeats/cost counts the heartbeat calls and the rows they wrote; admins only", async () => {
    type Costs = { requests: number; rows_written: number; since: string };
    const before = (await json(api("/v1/admin/heartbeats/cost", { key: ADMIN }))) as Costs;
    const t = await newTenant();
    const run = await createRun({ agent: "general", input: "- think" }, t.key);
    await waitForRun(run.id, { key: t.key });
    await json(api("/v1/workers", { key: t.key }));
    const after = (await json(api("/v1/admin/heartbeats/cost", { key: ADMIN }))) as Costs;
    expect(after.since).toBe(before.since);
    // At least the beat of the worker that ran the run and the list just read (other files' runs add theirs).
    expect(after.requests - before.requests).toBeGreaterThanOrEqual(2);
    expect(after.rows_written - before.rows_written).toBeGreaterThanOrEqual(1);
    expect(Number.isNaN(Date.parse(after.since))).toBe(false);
    expect((await api("/v1/admin/heartbeats/cost", { key: t.key })).status).toBe(401);
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
