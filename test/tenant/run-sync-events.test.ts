// The domain events a run sync writes: once per change of the run's index row, without looking the
// event up (one row in the log), and never again when the same or an older sync comes back; for a
// run the index does not have, once by its dedup key. Only an event a webhook delivers is kept
// findable by id.

import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { RunSync } from "../../src/tenant/protocol";
import { api, createRun, json, newTenant, waitForRun } from "../helpers/api";

const tenantStub = (id: string) => env.TENANTS.get(env.TENANTS.idFromName(id));

/** A final sync of `id`, as a run object sends it. */
const finalSync = (id: string, version: number, over: Partial<RunSync> = {}): RunSync => ({
  id,
  version,
  status: "failed",
  spent: 0,
  attempt: 1,
  charges: [],
  charges_from: 1,
  finished_at: Date.now(),
  not_before: null,
  error: { code: "model_bad_request", message: "no", retryable: false },
  agent: "general",
  output: null,
  approvals: [],
  resolution: null,
  ...over,
});

async function eventsOf(key: string, runId: string): Promise<string[]> {
  const page = await json(api("/v1/events?limit=100", { key }));
  return page.events.filter((e: any) => e.run_id === runId).map((e: any) => e.type);
}

describe("domain events of run syncs", () => {
  it("a final sync sent again (after an eviction) or a later one with the same status writes no second event", async () => {
    const t = await newTenant(1000);
    const run = await createRun({ agent: "general", input: "- ask !fail-permanent" }, t.key);
    const done = await waitForRun(run.id, { key: t.key });
    expect(done.status).toBe("failed");
    expect(await eventsOf(t.key, run.id)).toEqual(["run.failed"]);
    const tenant = tenantStub(t.id);
    // The run object's last version is unknown here: a version far ahead is "later", one far behind "older".
    const resent = await tenant.syncRun(t.id, finalSync(run.id, 1));
    const later = await tenant.syncRun(t.id, finalSync(run.id, 1000));
    expect(await eventsOf(t.key, run.id)).toEqual(["run.failed"]);
    expect(resent.rows_written).toBe(0);
    expect(later.rows_written).toBeGreaterThan(0);
    // A resolution comes with a later version: run.resolved once, and no second run.failed.
    const resolution = { action: "dismissed", output: null, comment: null, actor: { type: "key", id: "k" }, at: new Date().toISOString() };
    await tenant.syncRun(t.id, finalSync(run.id, 1001, { resolution } as Partial<RunSync>));
    await tenant.syncRun(t.id, finalSync(run.id, 1002, { resolution } as Partial<RunSync>));
    expect(await eventsOf(t.key, run.id)).toEqual(["run.failed", "run.resolved"]);
  });

  it("a run the index does not have gets each event once, by its dedup key", async () => {
    const t = await newTenant(1000);
    const id = "run_0000000000000000000077";
    const tenant = tenantStub(t.id);
    await tenant.syncRun(t.id, finalSync(id, 3));
    await tenant.syncRun(t.id, finalSync(id, 4));
    expect(await eventsOf(t.key, id)).toEqual(["run.failed"]);
  });

  it("only an event a webhook delivers is kept findable by id (an id index entry); the others are one row", async () => {
    const plain = await newTenant(1000);
    const hooked = await newTenant(1000);
    const hook = await api("/v1/webhooks", { method: "PUT", json: { url: "https://hooks.invalid/edgecrew" }, key: hooked.key });
    expect(hook.status).toBeLessThan(300);
    const keyed = async (t: { id: string; key: string }) => {
      const run = await createRun({ agent: "general", input: "- ask !fail-permanent" }, t.key);
      await waitForRun(run.id, { key: t.key });
      return runInDurableObject(tenantStub(t.id), (_obj, state) =>
        state.storage.sql.exec("SELECT type, keyed FROM domain_events WHERE run_id = ?", run.id).toArray(),
      );
    };
    expect(await keyed(plain)).toEqual([{ type: "run.failed", keyed: 0 }]);
    expect(await keyed(hooked)).toEqual([{ type: "run.failed", keyed: 1 }]);
  });
});
