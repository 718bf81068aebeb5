// What a two-step run costs, as the runtime counts it: rows, Durable Object requests and queue
// messages across the run and tenant objects, pinned so a regression fails, and the `cost` field
// of GET /v1/runs/:id priced from those counts at the list prices wrangler.toml sets.

import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { newId } from "../../src/domain/ids";
import { userTables } from "../../src/storage/migrations";
import { ADMIN, api, createRun, json, newTenant, waitForRun } from "../helpers/api";
import { parsePrometheusText, sampleValue } from "../support/prometheus-text";

const TWO_STEPS = { agent: "general", input: "- look up\n- summarise" };

/** Rows, requests and messages of one two-step scripted run, by object (see docs/benchmarks.md). */
const PINNED = {
  // init, claim, and one commit per unit, the plan committed with step 1 (nobody watches the
  // run live, so the worker folds them: src/agent/runner.ts), then step 2.
  run_requests: 4,
  // A new object's `journal` table (2; no `_schema`: the table implies the version), one journal
  // page per transition, the first claim's deferred to the first commit's (nobody follows the
  // run: RunEngine.claim), so init and the two commits: 3, one after the final settlement.
  run_rows: 6,
  queue_messages: 1,
  // The Worker's createRun and the final settlement (a run this short never syncs "running").
  tenant_requests: 2,
  // Creation (the reserve entry, the run index row holding the reservation, and its 2 list
  // indexes: 4) and the final settlement (one charge entry for the three calls, the release entry,
  // the run index row with the reservation, once for both, and its status index, and the
  // run.succeeded domain event, one row in the log keyed by topic and seq: 5). No balance row (the
  // balance is the last entry's), no ledger key index entry (a run's keys are on its reservation),
  // no reservation row of its own, no id, dedup or topic index entry for the event (the run index
  // row says it is new, and no webhook reads it by id): docs/benchmarks.md.
  tenant_rows: 9,
};

async function finishedRun() {
  const t = await newTenant();
  const created = await createRun(TWO_STEPS, t.key);
  const run = await waitForRun(created.id, { key: t.key });
  expect(run.status).toBe("succeeded");
  const parts = await json(api(`/v1/admin/runs/${created.id}/cost`, { key: ADMIN }));
  return { run, parts };
}

describe("what a two-step run costs", () => {
  it("writes the pinned rows and makes the pinned requests in the run and tenant objects", async () => {
    const { parts } = await finishedRun();
    const { alarm_writes: _alarms, ...counts } = parts;
    expect(counts).toEqual(PINNED);
  });

  it("a lookup of a run that does not exist writes nothing: its object is left without a table", async () => {
    const t = await newTenant();
    const id = newId("run");
    expect((await api(`/v1/runs/${id}`, { key: t.key })).status).toBe(404);
    expect((await api(`/v1/runs/${id}/logs`, { key: t.key })).status).toBe(404);
    const tables = await runInDurableObject(env.RUNS.get(env.RUNS.idFromName(id)), (_obj, state) => [...userTables(state.storage.sql)]);
    expect(tables).toEqual([]);
  });

  it("reports the counts and their price in the run's cost field", async () => {
    const { run } = await finishedRun();
    const ops = {
      durable_object_requests: PINNED.run_requests + PINNED.tenant_requests,
      rows_written: PINNED.run_rows + PINNED.tenant_rows,
      queue_messages: PINNED.queue_messages,
    };
    // $0.15 per million requests, $1.00 per million rows, $0.40 per million queue operations
    // (three per message); $3 and $15 per million input and output tokens.
    const platform = (ops.durable_object_requests * 0.15 + ops.rows_written * 1.0 + ops.queue_messages * 3 * 0.4) / 1e6;
    const model = (run.usage.input_tokens * 3 + run.usage.output_tokens * 15) / 1e6;
    expect(run.cost).toMatchObject({ ...ops, input_tokens: 300, output_tokens: 60 });
    expect(run.cost.usd.platform).toBeCloseTo(platform, 10);
    expect(run.cost.usd.model).toBeCloseTo(model, 10);
    expect(run.cost.usd.total).toBeCloseTo(platform + model, 10);
  });

  it("adds what runs cost to /metrics: operations by kind, dollars by platform and model", async () => {
    // Other test files share the metrics store, so the counters are compared as increases.
    const read = async () => {
      const f = parsePrometheusText(await (await api("/metrics", { key: ADMIN })).text());
      const ops = (kind: string) =>
        sampleValue(f, "edgecrew_platform_operations_total", "edgecrew_platform_operations_total", { kind }) ?? 0;
      const usd = (kind: string) => sampleValue(f, "edgecrew_cost_usd_total", "edgecrew_cost_usd_total", { kind }) ?? 0;
      return {
        requests: ops("durable_object_requests"),
        rows: ops("rows_written"),
        messages: ops("queue_messages"),
        platform: usd("platform"),
        model: usd("model"),
      };
    };
    const before = await read();
    const { run } = await finishedRun();
    const grew = (now: Awaited<ReturnType<typeof read>>) =>
      now.requests - before.requests >= run.cost.durable_object_requests &&
      now.rows - before.rows >= run.cost.rows_written &&
      now.messages - before.messages >= 1 &&
      now.platform - before.platform >= run.cost.usd.platform * 0.999 &&
      now.model - before.model >= run.cost.usd.model * 0.999;
    // Tenants flush their deltas at most every 5 s.
    let now = await read();
    for (const until = Date.now() + 15_000; !grew(now) && Date.now() < until; now = await read()) {
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(now.requests - before.requests).toBeGreaterThanOrEqual(run.cost.durable_object_requests);
    expect(now.rows - before.rows).toBeGreaterThanOrEqual(run.cost.rows_written);
    expect(now.messages - before.messages).toBeGreaterThanOrEqual(1);
    expect(now.platform - before.platform).toBeGreaterThanOrEqual(run.cost.usd.platform * 0.999);
    expect(now.model - before.model).toBeGreaterThanOrEqual(run.cost.usd.model * 0.999);
  });
});
