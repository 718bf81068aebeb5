// Per-tenant rate limits (docs/api.md, Limits: 429 `rate_limited` with Retry-After): the API-wide
// request limit (per isolate, in the Worker) and the run-creation limit (in the tenant's object).

import { createExecutionContext, runInDurableObject, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { app } from "../../src/api/app";
import { SlidingWindow } from "../../src/domain/rate-limit";
import { ADMIN, api, BASE, json, newTenant } from "../helpers/api";

// The request limit is read from the bindings; these requests go through the same app with a
// copy of the test bindings whose limit is 5 a minute.
const limited = { ...env, RATE_LIMIT_REQUESTS_PER_MIN: "5" } as Env;

async function call(path: string, key: string, init: RequestInit = {}): Promise<Response> {
  const ctx = createExecutionContext();
  const headers = new Headers(init.headers);
  headers.set("authorization", `Bearer ${key}`);
  const res = await app.fetch(new Request(`${BASE}${path}`, { ...init, headers }), limited, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

describe("API request limit per tenant", () => {
  it("the request past the limit gets 429 rate_limited with Retry-After; other tenants are unaffected", async () => {
    const a = await newTenant(10);
    const b = await newTenant(10);
    for (let i = 0; i < 5; i++) expect((await call("/v1/credits", a.key)).status).toBe(200);
    const over = await call("/v1/runs", a.key);
    expect(over.status).toBe(429);
    const retryAfter = Number(over.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect((await json(over)).error.code).toBe("rate_limited");
    expect((await call("/v1/credits", b.key)).status).toBe(200);
  });

  it("admin routes and bad credentials are not counted: 401 stays 401", async () => {
    const t = await newTenant(10);
    for (let i = 0; i < 8; i++) expect((await call(`/v1/admin/tenants/${t.id}/credits`, ADMIN, postJson({ amount: 1 }))).status).toBe(200);
    for (let i = 0; i < 8; i++) expect((await call("/v1/credits", "ec_not_a_key")).status).toBe(401);
    expect((await call("/v1/credits", t.key)).status).toBe(200);
  });

  it("a limit of 0 turns the request limit off", async () => {
    const t = await newTenant(10);
    const off = { ...env, RATE_LIMIT_REQUESTS_PER_MIN: "0" } as Env;
    for (let i = 0; i < 20; i++) {
      const res = await app.fetch(
        new Request(`${BASE}/v1/credits`, { headers: { authorization: `Bearer ${t.key}` } }),
        off,
        createExecutionContext(),
      );
      expect(res.status).toBe(200);
    }
  });
});

describe("run creation limit per tenant", () => {
  it("creating runs past RATE_LIMIT_RUNS_PER_MIN gets 429 with Retry-After, and reserves nothing", async () => {
    const t = await newTenant(1000);
    // The tenant object builds its limiter from RATE_LIMIT_RUNS_PER_MIN (600 in the test bindings);
    // this test gives the object a limiter of 3 a minute, as that binding would.
    const stub = env.TENANTS.get(env.TENANTS.idFromName(t.id));
    await runInDurableObject(stub, (obj) => {
      (obj as unknown as { runLimiter: SlidingWindow }).runLimiter = new SlidingWindow(3);
    });
    const body = { agent: "general", input: "later", max_credits: 10, run_at: new Date(Date.now() + 3600_000).toISOString() };
    for (let i = 0; i < 3; i++) expect((await api("/v1/runs", { method: "POST", json: body, key: t.key })).status).toBe(202);
    const over = await api("/v1/runs", { method: "POST", json: body, key: t.key });
    expect(over.status).toBe(429);
    expect(Number(over.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect((await json(over)).error.code).toBe("rate_limited");
    expect(await json(api("/v1/credits", { key: t.key }))).toEqual({ available: 970, reserved: 30, spent_total: 0 });
    expect((await json(api("/v1/runs", { key: t.key }))).runs).toHaveLength(3);
  });
});

function postJson(body: unknown): RequestInit {
  return { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) };
}
