// Unauthenticated requests reach no Durable Object: a well-formed key with a bad MAC and a stream
// request with a forged ticket are refused by the Worker, so no tenant or run object (and no SQLite
// file) is created for them.

import { listDurableObjectIds } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, json } from "../helpers/api";
import { openStream } from "../helpers/ws";

const hex = (bytes: number) => [...crypto.getRandomValues(new Uint8Array(bytes))].map((b) => b.toString(16).padStart(2, "0")).join("");
const base36 = (n: number) =>
  Array.from(crypto.getRandomValues(new Uint8Array(n)), (b) => "0123456789abcdefghijklmnopqrstuvwxyz"[b % 36]).join("");

async function ids(ns: DurableObjectNamespace): Promise<Set<string>> {
  return new Set((await listDurableObjectIds(ns)).map((id) => id.toString()));
}

describe("unauthenticated requests wake no Durable Object", () => {
  it("20 keys with bad MACs for 20 tenant names and 20 forged stream tickets: all 401, no object storage left behind", async () => {
    const tenants = Array.from({ length: 20 }, (_, i) => `nowake-${base36(8)}-${i}`);
    const runIds = Array.from({ length: 20 }, () => `run_${base36(21)}`);
    const tenantsBefore = await ids(env.TENANTS);
    const runsBefore = await ids(env.RUNS);

    for (const [i, tenant] of tenants.entries()) {
      // Each from its own address, as a spread-out attacker would be (the failed-auth limit is per client).
      const key = `ec_${tenant}_key_${base36(21)}_${hex(16)}_${hex(16)}`;
      const res = await api("/v1/runs", { key, headers: { "cf-connecting-ip": `203.0.113.${i + 1}` } });
      expect(res.status).toBe(401);
      expect((await json(res)).error).toEqual({ code: "unauthorized", message: "invalid API key" });
    }
    for (const [i, runId] of runIds.entries()) {
      const ticket = `tk.${runId}.${tenants[i]}.${Date.now() + 60_000}.${hex(12)}.${hex(16)}`;
      const res = await openStream(runId, {
        query: `?ticket=${ticket}`,
        key: null,
        headers: { "cf-connecting-ip": `203.0.113.${i + 101}` },
      });
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe("unauthorized");
    }

    const tenantsAfter = await ids(env.TENANTS);
    const runsAfter = await ids(env.RUNS);
    const touchedTenants = tenants.map((t) => env.TENANTS.idFromName(t).toString()).filter((id) => tenantsAfter.has(id));
    const touchedRuns = runIds.map((r) => env.RUNS.idFromName(r).toString()).filter((id) => runsAfter.has(id));
    expect(touchedTenants).toEqual([]);
    expect(touchedRuns).toEqual([]);
    // Nothing that existed went away either: the refusals wrote nothing anywhere.
    for (const id of tenantsBefore) expect(tenantsAfter.has(id)).toBe(true);
    for (const id of runsBefore) expect(runsAfter.has(id)).toBe(true);
  });
});
