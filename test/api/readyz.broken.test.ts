// A deployment whose external adapters are configured but broken: a wrong Upstash token, a wrong
// QStash token, a Supabase schema without credit_balances.available_credits. /readyz names each
// with its fix (and no secret); run creation refuses up front with 503 and creates nothing.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ADMIN, api, json } from "../helpers/api";
import { QSTASH_TEST_SIGNING_KEYS, SUPABASE_TEST_SERVICE_KEY } from "../support/constants";

describe("broken external adapters", () => {
  it("/readyz answers 503 naming each failing adapter and its fix, without secrets", async () => {
    const res = await api("/readyz", { key: null });
    expect(res.status).toBe(503);
    const text = await res.text();
    const body = JSON.parse(text);
    expect(body.error.code).toBe("unavailable");
    const failing: Record<string, { problem: string; fix: string }> = Object.fromEntries(
      (body.error.details.failing as Array<{ adapter: string; problem: string; fix: string }>).map((f) => [f.adapter, f]),
    );
    expect(failing.supabase?.problem).toMatch(/column credit_balances\.available_credits/);
    expect(failing.supabase?.fix).toMatch(/npm run migrate/);
    expect(failing.upstash?.problem).toMatch(/Upstash Redis rejected the token \(HTTP 401\)/);
    expect(failing.upstash?.fix).toMatch(/UPSTASH_REDIS_REST_TOKEN/);
    expect(failing.qstash?.problem).toMatch(/QStash rejected the token/);
    expect(body.error.message).toMatch(/credit_balances\.available_credits/);
    for (const secret of ["not-the-upstash-token", "not-the-qstash-token", SUPABASE_TEST_SERVICE_KEY, QSTASH_TEST_SIGNING_KEYS.current]) {
      expect(text).not.toContain(secret);
    }
  });

  it("run creation fails with 503 naming the missing column and the fix, and nothing is created", async () => {
    // A tenant from before the column went missing (created directly, without credits).
    const id = `t-${crypto.randomUUID().slice(0, 8)}`;
    await env.TENANTS.get(env.TENANTS.idFromName(id)).ensure(id, "Existing", 0);
    const key = (await json(api(`/v1/admin/tenants/${id}/keys`, { method: "POST", key: ADMIN }))).key as string;
    const res = await api("/v1/runs", { method: "POST", key, json: { agent: "general", input: "hello" } });
    expect(res.status).toBe(503);
    const body = await json(res);
    expect(body.error.code).toBe("unavailable");
    expect(body.error.message).toMatch(/credit_balances\.available_credits/);
    expect(body.error.message).toMatch(/npm run migrate/);
    expect((await json(api("/v1/runs", { key }))).runs).toEqual([]);
  });

  it("creating a tenant fails with 503 and creates nothing", async () => {
    for (const credits of [0, 10]) {
      const id = `t-${crypto.randomUUID().slice(0, 8)}`;
      const made = await api("/v1/admin/tenants", { method: "POST", key: ADMIN, json: { id, name: "Broken", credits } });
      expect(made.status).toBe(503);
      expect((await json(made)).error.message).toMatch(/available_credits/);
      expect((await api(`/v1/admin/tenants/${id}/keys`, { method: "POST", key: ADMIN })).status).toBe(404);
    }
  });
});
