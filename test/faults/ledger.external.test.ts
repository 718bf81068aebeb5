// The fault-injection suite against the external credit ledger (Supabase through the local
// PostgREST gateway over Postgres): the ledger becomes unreachable for one tenant (the gateway drops
// the connections of that tenant's ledger calls before they reach Postgres) at admission, then at
// settlement. `npm run faults` prints this table after the embedded ledger's.

import { env } from "cloudflare:test";
import { afterAll, describe, expect, it } from "vitest";
import type { CommitResult } from "../../src/run/protocol";
import { api, createRun, json, newTenant } from "../helpers/api";
import { database, eventually } from "../helpers/external";
import { supportUrl } from "../helpers/fake-model";
import { chargedOnce, check } from "./check";
import { claimAndPlan, unitReport } from "./driven-worker";
import { printTable } from "./report";

interface Outage {
  tenant: string;
  down: boolean;
  /** Ledger calls naming the tenant whose connection the gateway dropped so far. */
  dropped: number;
}

async function outage(init?: { tenant: string; down: boolean }, tenant = init?.tenant ?? ""): Promise<Outage> {
  const url = `${supportUrl("postgrest")}/_control/outage`;
  const res = init
    ? await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(init) })
    : await fetch(`${url}?tenant=${encodeURIComponent(tenant)}`);
  if (!res.ok) throw new Error(`outage control: ${res.status} ${await res.text()}`);
  return res.json();
}

/** The ledger is unreachable for `tenant` while `fn` runs, and answers again after it. */
async function ledgerDown<T>(tenant: string, fn: () => Promise<T>): Promise<T> {
  await outage({ tenant, down: true });
  try {
    return await fn();
  } finally {
    await outage({ tenant, down: false });
  }
}

/** The run's movements in Postgres: its reservation row and its ledger entries. */
async function movements(tenant: string, runId: string) {
  const db = database();
  const reservation = await db.from("credit_reservations").select("reserved, spent, released").eq("tenant_id", tenant).eq("run_id", runId);
  const entries = await db.from("credit_ledger").select("kind, amount, idem_key").eq("tenant_id", tenant).eq("run_id", runId);
  const num = (r: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(r).map(([k, v]) => [k, k === "idem_key" || k === "kind" ? v : Number(v)]));
  return {
    reservation: ((reservation.data ?? []) as Record<string, unknown>[]).map(num),
    entries: ((entries.data ?? []) as Record<string, unknown>[]).map(num) as Array<{ kind: string; amount: number; idem_key: string }>,
  };
}

afterAll(() => {
  console.log(`\n${printTable("fault injection (workers-external: Supabase credit ledger)")}\n`);
});

describe("fault injection, external credit ledger", () => {
  it("the ledger is unreachable at admission: 503, no run, nothing reserved; once it is back a create is charged once", async () => {
    const t = await newTenant(1000);
    const body = { agent: "general", input: "- one\n- two", max_credits: 50 };
    const refused = await ledgerDown(t.id, async () => {
      const res = await api("/v1/runs", { method: "POST", key: t.key, json: body });
      const dropped = (await outage(undefined, t.id)).dropped;
      return { status: res.status, body: await res.json<any>(), dropped };
    });
    expect(refused.status).toBe(503);
    expect(refused.body.error.code).toBe("unavailable");
    expect(refused.body.error.message).toMatch(/credit ledger/);
    expect(refused.dropped).toBeGreaterThan(0);
    // Nothing was created and nothing is held.
    expect((await json(api("/v1/runs", { key: t.key }))).runs).toHaveLength(0);
    const db = database();
    expect((await db.from("credit_reservations").select("run_id").eq("tenant_id", t.id)).data).toEqual([]);
    expect(await json(api("/v1/credits", { key: t.key }))).toEqual({ available: 1000, reserved: 0, spent_total: 0 });

    const r = await createRun(body, t.key);
    await check("ledger down at admission", "succeeded", r.id, t.key, async () => {
      const runs = (await json(api("/v1/runs", { key: t.key }))).runs;
      const held = (await db.from("credit_reservations").select("run_id").eq("tenant_id", t.id)).data ?? [];
      return runs.length === 1 && held.length === 1 && (await chargedOnce(r.id, t.key, 1000));
    });
  });

  it("the ledger is unreachable when the run settles: the run object retries, it is charged once and released", async () => {
    const t = await newTenant(1000);
    const r = await createRun({ agent: "general", input: "- one", max_credits: 50 }, t.key);
    // A worker of the test's own takes the run (as the fault suite does), so the moment it
    // finishes is known: the plan is committed while the ledger answers, the last step while it
    // does not.
    const stub = env.RUNS.get(env.RUNS.idFromName(r.id));
    const token = await claimAndPlan(stub, r.id, "settles-while-down", ["one"]);
    const during = await ledgerDown(t.id, async () => {
      const last = { kind: "step" as const, token, index: 1, summary: "one done", output: "one" };
      const done = (await stub.commit({ ...last, report: unitReport(`${r.id}:1:1:1:1`), handoff: false })) as CommitResult;
      const shown = await json(api(`/v1/runs/${r.id}`, { key: t.key }));
      return {
        commit: done.status,
        status: shown.status,
        dropped: (await outage(undefined, t.id)).dropped,
        held: await movements(t.id, r.id),
      };
    });
    // The run finished while its settlement could not reach the ledger: nothing was charged by
    // that settlement and nothing released; the rest of the 50 is still held.
    expect(during).toMatchObject({ commit: "done", status: "succeeded" });
    expect(during.dropped).toBeGreaterThan(0);
    const [held] = during.held.reservation as Array<{ reserved: number; spent: number; released: number }>;
    expect(held!.released).toBe(0);
    expect(held!.reserved + held!.spent).toBe(50);
    expect(held!.reserved).toBeGreaterThanOrEqual(47);
    expect(during.held.entries.filter((e) => e.kind === "release")).toHaveLength(0);

    await eventually("the settlement once the ledger is back", async () => {
      const b = await json(api("/v1/credits", { key: t.key }));
      return b.reserved === 0 ? b : undefined;
    });
    const { run } = await check("ledger down at settlement", "succeeded", r.id, t.key, () => chargedOnce(r.id, t.key, 1000));
    expect(run.credits.spent).toBe(6);
    const after = await movements(t.id, r.id);
    const charges = after.entries.filter((e) => e.kind === "charge");
    expect(charges.map((e) => e.idem_key).sort()).toEqual([`${r.id}:1:0:1:1`, `${r.id}:1:1:1:1`]);
    expect(after.entries.filter((e) => e.kind === "release")).toEqual([{ kind: "release", amount: 44, idem_key: `release:${r.id}:1` }]);
    expect(after.reservation).toEqual([{ reserved: 0, spent: 6, released: 44 }]);
  });
});
