// Idempotency keys are kept 24 h: past that they are deleted, by run creation (a bounded batch
// each time) and by the tenant object's alarm.

import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { IDEMPOTENCY_PRUNE_BATCH, IDEMPOTENCY_TTL_MS } from "../../src/tenant/store";
import { api, newTenant } from "../helpers/api";

const tenantOf = (id: string) => env.TENANTS.get(env.TENANTS.idFromName(id));

/** Writes keys as a run creation `ageMs` ago would have left them. */
async function rememberKeys(tenantId: string, keys: string[], ageMs: number): Promise<void> {
  await runInDurableObject(tenantOf(tenantId), (_obj, state) => {
    const at = Date.now() - ageMs;
    for (const key of keys) {
      state.storage.sql.exec(
        "INSERT INTO idempotency (key, body_hash, response, created_at) VALUES (?, ?, ?, ?)",
        key,
        "hash",
        JSON.stringify({ id: "run_old", status: "queued" }),
        at,
      );
    }
  });
}

async function storedKeys(tenantId: string): Promise<string[]> {
  return runInDurableObject(tenantOf(tenantId), (_obj, state) =>
    state.storage.sql
      .exec("SELECT key FROM idempotency ORDER BY key")
      .toArray()
      .map((r) => r.key as string),
  );
}

const create = (key: string, idempotencyKey: string) =>
  api("/v1/runs", { method: "POST", key, json: { agent: "general", input: "x" }, headers: { "idempotency-key": idempotencyKey } });

describe("idempotency keys", () => {
  it("idempotency keys older than 24 h are deleted when runs are created", async () => {
    const t = await newTenant(1000);
    await rememberKeys(t.id, ["old-1", "old-2", "old-3"], IDEMPOTENCY_TTL_MS + 60_000);
    await rememberKeys(t.id, ["recent"], IDEMPOTENCY_TTL_MS - 60_000);
    expect(await storedKeys(t.id)).toEqual(["old-1", "old-2", "old-3", "recent"]);

    expect((await create(t.key, "new")).status).toBe(202);
    expect(await storedKeys(t.id)).toEqual(["new", "recent"]);
    // An expired key is free again: the same key makes a new run, not the old answer.
    const again = await create(t.key, "old-1");
    expect(again.status).toBe(202);
    expect((await again.json<any>()).id).not.toBe("run_old");
  });

  it("a backlog of expired keys is deleted a bounded batch per creation", async () => {
    const t = await newTenant(1000);
    const backlog = Array.from({ length: IDEMPOTENCY_PRUNE_BATCH + 20 }, (_, i) => `old-${String(i).padStart(3, "0")}`);
    await rememberKeys(t.id, backlog, IDEMPOTENCY_TTL_MS + 60_000);
    expect((await create(t.key, "first")).status).toBe(202);
    expect(await storedKeys(t.id)).toHaveLength(backlog.length - IDEMPOTENCY_PRUNE_BATCH + 1);
    expect((await create(t.key, "second")).status).toBe(202);
    expect(await storedKeys(t.id)).toEqual(["first", "second"]);
  });

  it("the tenant object's alarm deletes expired keys of a tenant that creates no runs", async () => {
    const t = await newTenant(1000);
    await rememberKeys(t.id, ["old-1", "old-2"], IDEMPOTENCY_TTL_MS + 60_000);
    await rememberKeys(t.id, ["recent"], 60_000);
    // An alarm set for later (as a delivery retry would), run now.
    await runInDurableObject(tenantOf(t.id), (_obj, state) => state.storage.setAlarm(Date.now() + 3_600_000));
    expect(await runDurableObjectAlarm(tenantOf(t.id))).toBe(true);
    expect(await storedKeys(t.id)).toEqual(["recent"]);
  });
});
