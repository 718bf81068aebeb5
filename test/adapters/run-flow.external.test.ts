// A whole run with every external adapter configured (Upstash heartbeats, QStash scheduler,
// Supabase ledger and archive), through the real SDKs against the real Redis and Postgres: the
// API's answers, then the rows and keys the adapters wrote, read straight from the gateways.
import { describe, expect, it } from "vitest";
import { api, json, newTenant, waitForRun } from "../helpers/api";
import { database, eventually, redis } from "../helpers/external";

describe("a run with Upstash, QStash and Supabase configured", () => {
  it("plans, runs its steps and succeeds; Postgres holds the reservation, the charges, the release and the archive", async () => {
    const t = await newTenant(1000);
    const created = await json(
      api("/v1/runs", {
        method: "POST",
        key: t.key,
        json: { agent: "general", input: "- look up\n- summarise !slow 1500", max_credits: 50 },
      }),
    );
    expect(created.status).toBe("queued");

    // While the slow step runs, its worker beats into Redis (Upstash), seen by the API and directly.
    const workers = await eventually("a worker heartbeat", async () => {
      const list = (await json(api("/v1/workers", { key: t.key }))).workers as Array<{ id: string; lane: string }>;
      return list.some((w) => w.lane === "normal") ? list : undefined;
    });
    const worker = workers.find((w) => w.lane === "normal")!;
    const live = await redis().zrange<string[]>("edgecrew:hb:workers", 0, -1);
    expect(live).toContain(worker.id);

    const run = await waitForRun(created.id, { key: t.key });
    expect(run.status).toBe("succeeded");
    expect(run.steps.map((s: { status: string }) => s.status)).toEqual(["completed", "completed"]);
    const spent = run.credits.spent as number;
    expect(spent).toBeGreaterThan(0);

    // The API reads the balance from Supabase: charged and released, nothing left reserved.
    expect(await json(api("/v1/credits", { key: t.key }))).toEqual({ available: 1000 - spent, reserved: 0, spent_total: spent });
    const page = await json(api("/v1/credits/ledger?limit=100", { key: t.key }));
    const kinds = (page.entries as Array<{ kind: string; run_id: string | null }>).map((e) => e.kind);
    expect(kinds[0]).toBe("release");
    expect(kinds.at(-1)).toBe("topup");

    // Straight from Postgres.
    const db = database();
    const balance = await db
      .from("credit_balances")
      .select("available_credits, reserved_credits, spent_total")
      .eq("tenant_id", t.id)
      .single();
    expect(balance.error).toBeNull();
    expect(balance.data).toEqual({ available_credits: 1000 - spent, reserved_credits: 0, spent_total: spent });
    const ledger = await db
      .from("credit_ledger")
      .select("kind, amount, idem_key")
      .eq("tenant_id", t.id)
      .eq("run_id", created.id)
      .order("id");
    expect(ledger.error).toBeNull();
    const rows = ledger.data as Array<{ kind: string; amount: number; idem_key: string }>;
    expect(rows[0]).toEqual({ kind: "reserve", amount: 50, idem_key: `reserve:${created.id}:1` });
    const charges = rows.filter((r) => r.kind === "charge");
    expect(charges.length).toBeGreaterThanOrEqual(3);
    expect(charges.reduce((sum, r) => sum + Number(r.amount), 0)).toBe(spent);
    expect(rows.at(-1)).toEqual({ kind: "release", amount: 50 - spent, idem_key: `release:${created.id}:1` });

    const archived = await eventually("the archived run", async () => {
      const r = await db.from("runs").select("tenant_id, agent, status, credits_spent, output, data").eq("id", created.id).maybeSingle();
      return r.data ?? undefined;
    });
    expect(archived).toMatchObject({ tenant_id: t.id, agent: "general", status: "succeeded", credits_spent: spent });
    expect((archived.output as { summary: string }).summary).toBe("Completed: summarise");
    expect((archived.data as { steps: unknown[] }).steps).toHaveLength(2);

    // The worker went idle: it leaves the live workers once its last beat expires (a short batch's
    // beat lasts SHORT_TTL_MS) or at once when it was stopped. Redis scores each id by its expiry.
    await eventually("the worker to leave the live list", async () => {
      const live = await redis().zrange<string[]>("edgecrew:hb:workers", Date.now(), "+inf", { byScore: true });
      const listed = (await json(api("/v1/workers", { key: t.key }))).workers as Array<{ id: string }>;
      return live.includes(worker.id) || listed.some((w) => w.id === worker.id) ? undefined : true;
    });
  });

  it("a run over its budget fails and still settles exactly in Postgres", async () => {
    const t = await newTenant(100);
    const created = await json(
      api("/v1/runs", { method: "POST", key: t.key, json: { agent: "general", input: "big !tokens 400", max_credits: 3 } }),
    );
    const run = await waitForRun(created.id, { key: t.key });
    expect(run.status).toBe("failed");
    expect(run.error.code).toBe("budget_exceeded");
    const after = await json(api("/v1/credits", { key: t.key }));
    expect(after.reserved).toBe(0);
    expect(after.available + after.spent_total).toBe(100);
    const archived = await eventually("the archived failed run", async () => {
      const r = await database().from("runs").select("status, error").eq("id", created.id).maybeSingle();
      return r.data ?? undefined;
    });
    expect(archived).toMatchObject({ status: "failed", error: { code: "budget_exceeded" } });
  });
});
