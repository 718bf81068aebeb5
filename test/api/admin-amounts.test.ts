// Numbers the API takes are bounded: admin credit amounts are safe integers up to
// MAX_CREDIT_AMOUNT, and the other numeric inputs refuse huge values with 400, never 500.
import { describe, expect, it } from "vitest";
import { MAX_CREDIT_AMOUNT } from "../../src/api/schemas";
import { ADMIN, api, json, newTenant } from "../helpers/api";

const balance = async (key: string) => json(api("/v1/credits", { key }));

async function expectInvalid(res: Response, field: string): Promise<void> {
  expect(res.status).toBe(400);
  const body = await json(res);
  expect(body.error.code).toBe("invalid_request");
  expect(body.error.details).toEqual({ field });
  expect(body.error.message).toMatch(new RegExp(`^${field}\\b`));
}

describe("admin credit amounts", () => {
  it("credits of 1e300 at tenant creation answers 400 naming credits, and creates no tenant", async () => {
    const id = `t-${crypto.randomUUID().slice(0, 8)}`;
    for (const credits of [1e300, MAX_CREDIT_AMOUNT + 1, Number.MAX_SAFE_INTEGER + 2, 2 ** 63]) {
      await expectInvalid(await api("/v1/admin/tenants", { method: "POST", key: ADMIN, json: { id, name: "Huge", credits } }), "credits");
    }
    expect((await api(`/v1/admin/tenants/${id}/keys`, { method: "POST", key: ADMIN })).status).toBe(404);
  });

  it("credits of exactly the maximum is accepted", async () => {
    const id = `t-${crypto.randomUUID().slice(0, 8)}`;
    const res = await api("/v1/admin/tenants", { method: "POST", key: ADMIN, json: { id, name: "Rich", credits: MAX_CREDIT_AMOUNT } });
    expect(res.status).toBe(201);
    expect((await json(res)).credits).toMatchObject({ available: MAX_CREDIT_AMOUNT });
  });

  it("a top-up amount of 1e300 answers 400 naming amount, and the balance is unchanged", async () => {
    const t = await newTenant(1000);
    for (const amount of [1e300, MAX_CREDIT_AMOUNT + 1, 2 ** 63, -1e300]) {
      await expectInvalid(await api(`/v1/admin/tenants/${t.id}/credits`, { method: "POST", key: ADMIN, json: { amount } }), "amount");
    }
    expect(await balance(t.key)).toEqual({ available: 1000, reserved: 0, spent_total: 0 });
    const ledger = await json(api("/v1/credits/ledger", { key: t.key }));
    expect(ledger.entries.map((e: { kind: string }) => e.kind)).toEqual(["topup"]);
  });

  it("a top-up of exactly the maximum is credited in full", async () => {
    const t = await newTenant(1000);
    const res = await api(`/v1/admin/tenants/${t.id}/credits`, { method: "POST", key: ADMIN, json: { amount: MAX_CREDIT_AMOUNT } });
    expect(res.status).toBe(200);
    expect(await balance(t.key)).toEqual({ available: MAX_CREDIT_AMOUNT + 1000, reserved: 0, spent_total: 0 });
  });
});

describe("other numeric inputs", () => {
  it("huge max_credits, run_at, limit and after answer 400 naming the field", async () => {
    const t = await newTenant(1000);
    const create = (extra: Record<string, unknown>) =>
      api("/v1/runs", { method: "POST", key: t.key, json: { agent: "general", input: "x", ...extra } });
    await expectInvalid(await create({ max_credits: 1e300 }), "max_credits");
    await expectInvalid(await create({ run_at: 1e300 }), "run_at");
    await expectInvalid(await create({ run_at: "+275760-09-13T00:00:00.000Z" }), "run_at");
    await expectInvalid(await create({ run_at: "-271821-04-20T00:00:00.000Z" }), "run_at");
    await expectInvalid(await api("/v1/runs?limit=1e300", { key: t.key }), "limit");
    await expectInvalid(await api("/v1/events?after=1e300", { key: t.key }), "after");
    await expectInvalid(await api("/v1/credits/ledger?limit=1e300", { key: t.key }), "limit");
    const agent = await api("/v1/agents/huge", { method: "PUT", key: t.key, json: { system_prompt: "x", max_credits: 1e300 } });
    await expectInvalid(agent, "max_credits");
    expect((await json(api("/v1/runs", { key: t.key }))).runs).toEqual([]);
    expect(await balance(t.key)).toEqual({ available: 1000, reserved: 0, spent_total: 0 });
  });
});
