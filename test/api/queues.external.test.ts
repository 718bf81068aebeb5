// GET /v1/queues with Upstash configured: the counts come from the tenant's Redis hash, which the
// tenant object keeps in step with its run index (read straight from Redis and from the object).
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { statsFromBuckets } from "../../src/adapters/counters/buckets";
import { api, createRun, json, newTenant, waitForRun } from "../helpers/api";
import { eventually, redis } from "../helpers/external";

describe("GET /v1/queues from Upstash counters", () => {
  it("counts runs waiting for approval and leaves succeeded ones out, as the run index does", async () => {
    const t = await newTenant(1000);
    const waiting = 3;
    const held = await Promise.all(Array.from({ length: waiting }, () => createRun({ agent: "general", input: "- hold !approve" }, t.key)));
    const done = await Promise.all(Array.from({ length: 2 }, () => createRun({ agent: "general", input: "- look up" }, t.key)));
    for (const r of done) expect((await waitForRun(r.id, { key: t.key })).status).toBe("succeeded");
    for (const r of held) await waitForRun(r.id, { key: t.key, until: (run) => run.status === "awaiting_approval" });

    const tenant = env.TENANTS.get(env.TENANTS.idFromName(t.id));
    let last: unknown = null;
    const stats = await eventually("the queue counts to settle", async () => {
      const view = await json(api("/v1/queues", { key: t.key }));
      const indexed = await tenant.queueStats();
      last = { view, indexed };
      return view.awaiting_approval === waiting && JSON.stringify(view) === JSON.stringify(indexed) ? view : undefined;
    });
    expect(stats, JSON.stringify(last)).toEqual({
      lanes: { high: { queued: 0, running: 0 }, normal: { queued: 0, running: 0 }, low: { queued: 0, running: 0 } },
      awaiting_approval: waiting,
      scheduled: 0,
      retrying: 0,
      dead: 0,
    });

    // Straight from Redis: the tenant's hash holds the same counts (zeroed buckets may remain as "0").
    const hash = (await redis().hgetall<Record<string, unknown>>(`edgecrew:q:${t.id}`)) ?? {};
    expect(Number(hash.awaiting_approval)).toBe(waiting);
    expect(statsFromBuckets(hash)).toEqual(stats);
    expect(await tenant.queueStats()).toEqual(stats);
  });
});
