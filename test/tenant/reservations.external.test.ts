// Concurrent reservations against the Supabase ledger (Postgres), through the API: no overdraft,
// exact balances, the same answers the embedded ledger gives.
import { describe, expect, it } from "vitest";
import { api, json, newTenant } from "../helpers/api";
import { database, eventually } from "../helpers/external";

describe("50 concurrent run creations against a Postgres ledger", () => {
  it("reserve exactly what the balance allows, never overdraw, and give everything back when canceled", async () => {
    const t = await newTenant(1000);
    // Scheduled a minute ahead so no run spends anything while the others reserve.
    const runAt = new Date(Date.now() + 60_000).toISOString();
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        api("/v1/runs", { method: "POST", key: t.key, json: { agent: "general", input: `job ${i}`, max_credits: 30, run_at: runAt } }),
      ),
    );
    const statuses = answers.map((r) => r.status);
    expect(statuses.filter((s) => s === 202)).toHaveLength(33);
    expect(statuses.filter((s) => s === 402)).toHaveLength(17);
    const refused = await Promise.all(answers.filter((r) => r.status === 402).map((r) => r.json() as Promise<any>));
    for (const body of refused) expect(body.error.code).toBe("insufficient_credits");

    expect(await json(api("/v1/credits", { key: t.key }))).toEqual({ available: 10, reserved: 990, spent_total: 0 });
    const db = database();
    const row = await db.from("credit_balances").select("available_credits, reserved_credits").eq("tenant_id", t.id).single();
    expect(row.data).toEqual({ available_credits: 10, reserved_credits: 990 });
    const reserves = await db.from("credit_ledger").select("balance_after").eq("tenant_id", t.id).eq("kind", "reserve");
    expect(reserves.data).toHaveLength(33);
    expect(Math.min(...(reserves.data as Array<{ balance_after: number }>).map((r) => Number(r.balance_after)))).toBe(10);

    // Only the accepted runs exist; canceling them releases every reservation.
    const listed = await json(api("/v1/runs?limit=100", { key: t.key }));
    expect(listed.runs).toHaveLength(33);
    for (const r of listed.runs as Array<{ id: string }>) {
      expect((await api(`/v1/runs/${r.id}/cancel`, { method: "POST", key: t.key })).status).toBe(200);
    }
    const settled = await eventually("every release", async () => {
      const b = await json(api("/v1/credits", { key: t.key }));
      return b.reserved === 0 ? b : undefined;
    });
    expect(settled).toEqual({ available: 1000, reserved: 0, spent_total: 0 });
    const releases = await db.from("credit_ledger").select("amount").eq("tenant_id", t.id).eq("kind", "release");
    expect((releases.data as Array<{ amount: number }>).map((r) => Number(r.amount))).toEqual(Array(33).fill(30));
  });
});
