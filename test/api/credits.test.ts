// Credits through the API (docs/credits.md): reservations under concurrency, charges, releases at
// every final state, budgets, and the ledger's invariant after a mix of outcomes.

import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { BUILTIN_AGENTS } from "../../src/agent/agents";
import { Journal } from "../../src/run/journal";
import type { RunSync } from "../../src/tenant/protocol";
import { ADMIN, allEvents, api, createRun, json, newTenant, waitForRun } from "../helpers/api";

const tenantStub = (id: string) => env.TENANTS.get(env.TENANTS.idFromName(id));

async function credits(key: string): Promise<{ available: number; reserved: number; spent_total: number }> {
  return json(api("/v1/credits", { key }));
}

async function ledger(key: string): Promise<any[]> {
  const out: any[] = [];
  let cursor: string | null = null;
  do {
    const page: any = await json(api(`/v1/credits/ledger?limit=100${cursor ? `&cursor=${cursor}` : ""}`, { key }));
    out.push(...page.entries);
    cursor = page.next_cursor;
  } while (cursor);
  return out;
}

/** Waits until no credits are held any more (every final run has settled with its tenant). */
async function settled(key: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const b = await credits(key);
    if (b.reserved === 0) return b;
    if (Date.now() > deadline) throw new Error(`credits still reserved: ${JSON.stringify(b)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const chargedEvents = async (id: string, key: string) => (await allEvents(id, key)).filter((e) => e.type === "credits.charged");

describe("credits through the API", () => {
  it("50 concurrent runs against credits for exactly 10: 10 accepted, 40 refused with 402, nothing created for them", async () => {
    const t = await newTenant(100);
    const body = { agent: "general", input: "one step", max_credits: 10 };
    const responses = await Promise.all(Array.from({ length: 50 }, () => api("/v1/runs", { method: "POST", json: body, key: t.key })));
    const accepted = responses.filter((r) => r.status === 202);
    const refused = responses.filter((r) => r.status === 402);
    expect(accepted).toHaveLength(10);
    expect(refused).toHaveLength(40);
    for (const r of refused) expect((await json(r)).error.code).toBe("insufficient_credits");
    const ids = new Set(await Promise.all(accepted.map(async (r) => (await json(r)).id as string)));

    const now = await credits(t.key);
    expect(now.available).toBeGreaterThanOrEqual(0);
    expect(now.available + now.reserved + now.spent_total).toBe(100);

    const listed = await json(api("/v1/runs?limit=100", { key: t.key }));
    expect(new Set(listed.runs.map((r: any) => r.id))).toEqual(ids);

    const runs = await Promise.all([...ids].map((id) => waitForRun(id, { key: t.key })));
    expect(runs.map((r) => r.status)).toEqual(Array(10).fill("succeeded"));
    // One step: the planner call (1) + the run fee (1) + the step's call (1).
    expect(runs.map((r) => r.credits.spent)).toEqual(Array(10).fill(3));
    expect(await settled(t.key)).toEqual({ available: 70, reserved: 0, spent_total: 30 });

    const domainEvents = (await json(api("/v1/events?limit=100", { key: t.key }))).events as any[];
    for (const e of domainEvents) if (e.run_id) expect(ids.has(e.run_id)).toBe(true);

    const entries = await ledger(t.key);
    expect(entries.filter((e) => e.kind === "reserve")).toHaveLength(10);
    for (const e of entries) {
      expect(e.balance_after).toBeGreaterThanOrEqual(0);
      if (e.run_id !== null) expect(ids.has(e.run_id)).toBe(true);
    }
  });

  it("after succeeded, failed, canceled, expired and dead runs the ledger balances and nothing stays reserved", async () => {
    const t = await newTenant(1000);
    // A tenant agent that is never started in time: a TTL of zero expires the run before any claim.
    await tenantStub(t.id).saveAgent({ ...BUILTIN_AGENTS.general!, name: "instant", builtin: false, ttl_seconds: 0 });

    const ok = await createRun({ agent: "general", input: "- look up\n- summarise" }, t.key);
    const failed = await createRun({ agent: "general", input: "- ask !fail-permanent" }, t.key);
    // Canceled during its slow step 2 (step 1 is committed with the plan: src/agent/runner.ts).
    const slow = await createRun({ agent: "general", input: "- first\n- wait !slow 4000" }, t.key);
    const later = await createRun({ agent: "general", input: "later", run_at: new Date(Date.now() + 3600_000).toISOString() }, t.key);
    const expired = await createRun({ agent: "instant", input: "too late" }, t.key);
    const dead = await createRun({ agent: "general", input: "- flaky !fail-transient 9" }, t.key);
    const crashed = await createRun({ agent: "general", input: "- once !crash" }, t.key);
    await api(`/v1/admin/tenants/${t.id}/credits`, { method: "POST", json: { amount: 50 }, key: ADMIN });

    await waitForRun(slow.id, { key: t.key, until: (r) => r.plan !== null });
    expect((await api(`/v1/runs/${slow.id}/cancel`, { method: "POST", key: t.key })).status).toBe(200);
    expect((await api(`/v1/runs/${later.id}/cancel`, { method: "POST", key: t.key })).status).toBe(200);

    const ids = [ok, failed, slow, later, expired, dead, crashed].map((r) => r.id as string);
    const runs = await Promise.all(ids.map((id) => waitForRun(id, { key: t.key, timeoutMs: 30_000 })));
    expect(runs.map((r) => r.status)).toEqual(["succeeded", "failed", "canceled", "canceled", "expired", "dead", "succeeded"]);

    const b = await settled(t.key);
    expect(b.available + b.reserved + b.spent_total).toBe(1050);
    const spent = runs.reduce((s, r) => s + r.credits.spent, 0);
    expect(b.spent_total).toBe(spent);
    // Plan (1 + fee 1) then one credit per completed step call; a redelivered step is charged once.
    expect(runs.map((r) => r.credits.spent)).toEqual([4, 2, 3, 0, 0, 2, 3]);
    for (const r of runs) expect(r.credits.reserved).toBe(0);

    const entries = await ledger(t.key);
    for (const id of ids) {
      const mine = entries.filter((e) => e.run_id === id);
      const sum = (kind: string) => mine.filter((e) => e.kind === kind).reduce((s, e) => s + e.amount, 0);
      expect(sum("reserve")).toBe(100);
      expect(sum("reserve") - sum("charge") - sum("release")).toBe(0);
      const run = runs[ids.indexOf(id)];
      expect(sum("charge")).toBe(run.credits.spent);
      const events = await chargedEvents(id, t.key);
      expect(events.reduce((s, e) => s + e.data.amount, 0)).toBe(run.credits.spent);
    }
  }, 60_000);

  it("a redelivered sync of a finished run changes neither the balance nor the ledger", async () => {
    const t = await newTenant(100);
    const run = await createRun({ agent: "general", input: "- a\n- b" }, t.key);
    await waitForRun(run.id, { key: t.key });
    const before = await settled(t.key);
    const entries = (await ledger(t.key)).length;

    const stub = env.RUNS.get(env.RUNS.idFromName(run.id));
    // The run's last sync as its object sent it, rebuilt from its journal.
    const sync = await runInDurableObject(stub, (_obj, state): RunSync => {
      const journal = new Journal(state.storage.sql);
      const r = journal.run()!;
      const charges = journal.allCharges();
      const replay = {
        id: run.id,
        version: r.version,
        status: r.status,
        spent: r.spent,
        attempt: r.attempts,
        charges,
        charges_from: 1,
        finished_at: r.finished_at,
        not_before: null,
        error: null,
        agent: "general",
        output: null,
        approvals: [],
      };
      return replay as unknown as RunSync;
    });
    expect(sync.charges.length).toBe(3);
    await tenantStub(t.id).syncRun(t.id, sync);
    await tenantStub(t.id).syncRun(t.id, { ...sync, version: sync.version + 1 });
    expect(await credits(t.key)).toEqual(before);
    expect(await ledger(t.key)).toHaveLength(entries);
  });

  it("a run whose plan costs more than max_credits fails with budget_exceeded, spending at most max_credits", async () => {
    const t = await newTenant(100);
    // The plan costs 2 (call + run fee); the step's call reports 1000 output tokens: 6 credits.
    const created = await createRun({ agent: "general", input: "- write at length !tokens 1000", max_credits: 3 }, t.key);
    const run = await waitForRun(created.id, { key: t.key });
    expect(run.status).toBe("failed");
    expect(run.error).toMatchObject({ code: "budget_exceeded", retryable: false });
    expect(run.credits).toEqual({ reserved: 0, spent: 3 });
    expect(await settled(t.key)).toEqual({ available: 97, reserved: 0, spent_total: 3 });
    const events = await chargedEvents(created.id, t.key);
    expect(events.reduce((s, e) => s + e.data.amount, 0)).toBe(3);
  });

  it("GET /v1/credits/ledger pages newest first and rejects a malformed cursor", async () => {
    const t = await newTenant(10);
    for (const amount of [1, 2, 3]) {
      await api(`/v1/admin/tenants/${t.id}/credits`, { method: "POST", json: { amount }, key: ADMIN });
    }
    const first = await json(api("/v1/credits/ledger?limit=2", { key: t.key }));
    expect(first.entries.map((e: any) => [e.kind, e.amount, e.balance_after])).toEqual([
      ["topup", 3, 16],
      ["topup", 2, 13],
    ]);
    const second = await json(api(`/v1/credits/ledger?limit=2&cursor=${first.next_cursor}`, { key: t.key }));
    expect(second.entries.map((e: any) => e.amount)).toEqual([1, 10]);
    expect(second.next_cursor).toBeNull();
    const bad = await api("/v1/credits/ledger?cursor=abc", { key: t.key });
    expect(bad.status).toBe(400);
    expect((await json(bad)).error.code).toBe("invalid_request");
  });
});
