// Authentication once per request: who the caller is (API key, development key, Supabase JWT), what
// a request costs in key hashes and JWT verifications, keys from before signed keys, revoked keys,
// the signing secret (503 and /readyz without it) and the failed-authentication limit.

import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { Hono } from "hono";
import { SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { app } from "../../src/api/app";
import type { AppEnv } from "../../src/api/app-env";
import { authenticate, authWork } from "../../src/api/auth";
import { DEFAULT_AUTH_FAILURES_PER_MIN } from "../../src/api/auth-settings";
import { ADMIN, api, BASE, DEV_KEY, json, newTenant } from "../helpers/api";

const SUPABASE_URL = "https://project.supabase.example";
const JWT_SECRET = "jwt-secret-of-the-test-project-0123456789";
/** The test bindings with Supabase JWT auth configured (HS256; the ledger stays embedded). */
const jwtEnv = { ...env, SUPABASE_URL, SUPABASE_JWT_SECRET: JWT_SECRET } as Env;

/** Calls the app with `bindings` (default: the test bindings) as client `ip`. */
async function call(
  path: string,
  opts: { key?: string | null; ip?: string; bindings?: Env; init?: RequestInit; target?: { fetch: typeof app.fetch } } = {},
): Promise<Response> {
  const headers = new Headers(opts.init?.headers);
  if (opts.key !== null) headers.set("authorization", `Bearer ${opts.key ?? DEV_KEY}`);
  if (opts.ip) headers.set("cf-connecting-ip", opts.ip);
  const ctx = createExecutionContext();
  const res = await (opts.target ?? app).fetch(new Request(`${BASE}${path}`, { ...opts.init, headers }), opts.bindings ?? env, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

function jwtFor(sub: string, tenantId: string): Promise<string> {
  return new SignJWT({ app_metadata: { tenant_id: tenantId } })
    .setProtectedHeader({ alg: "HS256" })
    .setIssuer(`${SUPABASE_URL}/auth/v1`)
    .setAudience("authenticated")
    .setSubject(sub)
    .setExpirationTime("5m")
    .sign(new TextEncoder().encode(JWT_SECRET));
}

/** A client address of its own per test, so the failed-auth limit of one test never meets another's. */
function clientIp(): string {
  const [a, b] = crypto.getRandomValues(new Uint8Array(2));
  return `198.51.${a}.${b}`;
}

/** Hashes and verifications done while `fn` runs. */
async function workOf(fn: () => Promise<unknown>): Promise<{ keyHashes: number; jwtVerifications: number }> {
  const before = { ...authWork };
  await fn();
  return { keyHashes: authWork.keyHashes - before.keyHashes, jwtVerifications: authWork.jwtVerifications - before.jwtVerifications };
}

// The authentication middleware alone, with a route that shows what it put on the context.
const whoami = new Hono<AppEnv>();
whoami.use("/v1/*", authenticate);
whoami.get("/v1/whoami", (c) => c.json({ tenant: c.get("tenant"), actor: c.get("actor") }));

describe("one authentication per request", () => {
  it("an API key is hashed once per request on every tenant route, rate limiter included", async () => {
    const t = await newTenant(100);
    for (const path of ["/v1/credits", "/v1/runs", "/v1/agents", "/v1/approvals", "/v1/dlq", "/v1/events", "/v1/queues"]) {
      let res: Response | undefined;
      expect(await workOf(async () => (res = await call(path, { key: t.key }))), path).toEqual({ keyHashes: 1, jwtVerifications: 0 });
      expect(res!.status, path).toBe(200);
    }
    let created: Response | undefined;
    const create = {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ agent: "general", input: "x" }),
    };
    expect(await workOf(async () => (created = await call("/v1/runs", { key: t.key, init: create })))).toEqual({
      keyHashes: 1,
      jwtVerifications: 0,
    });
    expect(created!.status).toBe(202);
  });

  it("a Supabase JWT is verified once per request", async () => {
    const t = await newTenant(40);
    const token = await jwtFor(crypto.randomUUID(), t.id);
    for (const path of ["/v1/credits", "/v1/runs", "/v1/agents"]) {
      let res: Response | undefined;
      expect(await workOf(async () => (res = await call(path, { key: token, bindings: jwtEnv }))), path).toEqual({
        keyHashes: 0,
        jwtVerifications: 1,
      });
      expect(res!.status, path).toBe(200);
    }
    expect(await json(call("/v1/credits", { key: token, bindings: jwtEnv }))).toEqual({ available: 40, reserved: 0, spent_total: 0 });
  });

  it("the context names the caller: the key's id, the development key, the JWT's subject", async () => {
    const t = await newTenant(1);
    expect(await json(call("/v1/whoami", { key: t.key, target: whoami }))).toEqual({
      tenant: t.id,
      actor: { type: "api_key", id: t.keyId },
    });
    expect(await json(call("/v1/whoami", { target: whoami }))).toEqual({ tenant: "dev", actor: { type: "api_key", id: "dev" } });
    const sub = crypto.randomUUID();
    expect(await json(call("/v1/whoami", { key: await jwtFor(sub, t.id), bindings: jwtEnv, target: whoami }))).toEqual({
      tenant: t.id,
      actor: { type: "jwt", id: sub },
    });
  });
});

describe("API keys", () => {
  it("an issued key reads ec_<tenant>_<key id>_<secret>_<mac>", async () => {
    const t = await newTenant(1);
    expect(t.key).toMatch(new RegExp(`^ec_${t.id}_${t.keyId}_[0-9a-f]{32}_[0-9a-f]{32}$`));
  });

  it("a key whose MAC does not match (altered secret, another tenant's name) is 401 without being hashed", async () => {
    const t = await newTenant(1);
    const other = await newTenant(1);
    const parts = t.key.split("_");
    const alteredSecret = [...parts.slice(0, 4), parts[4]!.replace(/.$/, (ch) => (ch === "0" ? "1" : "0")), parts[5]].join("_");
    const movedTenant = t.key.replace(`ec_${t.id}_`, `ec_${other.id}_`);
    for (const key of [alteredSecret, movedTenant]) {
      let res: Response | undefined;
      expect(await workOf(async () => (res = await call("/v1/credits", { key, ip: clientIp() })))).toEqual({
        keyHashes: 0,
        jwtVerifications: 0,
      });
      expect(res!.status).toBe(401);
      expect((await json(res!)).error).toEqual({ code: "unauthorized", message: "invalid API key" });
    }
    expect((await call("/v1/credits", { key: t.key })).status).toBe(200);
  });

  it("a key of the unsigned shape issued before signed keys is 401 saying to ask for a new key", async () => {
    const t = await newTenant(1);
    const res = await call("/v1/credits", { key: `ec_${t.id}_AbCdEfGhIjKlMnOpQrStUvWxYz012345`, ip: clientIp() });
    expect(res.status).toBe(401);
    const body = await json(res);
    expect(body.error.code).toBe("unauthorized");
    expect(body.error.message).toMatch(/not a signed key/);
    expect(body.error.message).toMatch(/POST \/v1\/admin\/tenants\/:id\/keys/);
  });

  it("a revoked key is 401 at once; the tenant's other key keeps working", async () => {
    const t = await newTenant(1);
    const second = await json(api(`/v1/admin/tenants/${t.id}/keys`, { method: "POST", key: ADMIN }));
    expect((await call("/v1/credits", { key: t.key })).status).toBe(200);
    expect((await api(`/v1/admin/tenants/${t.id}/keys/${t.keyId}`, { method: "DELETE", key: ADMIN })).status).toBe(200);
    const res = await call("/v1/credits", { key: t.key, ip: clientIp() });
    expect(res.status).toBe(401);
    expect((await json(res)).error).toEqual({ code: "unauthorized", message: "invalid or revoked API key" });
    expect((await call("/v1/credits", { key: second.key })).status).toBe(200);
  });
});

describe("the signing secret", () => {
  for (const [label, secret, problem] of [
    ["missing", "", "AUTH_SIGNING_SECRET is not set"],
    ["too short", "short-secret-1234", "AUTH_SIGNING_SECRET is shorter than 32 characters"],
  ] as const) {
    it(`${label}: keys can be neither checked nor issued (503 naming the fix), /readyz names it, the secret never shows`, async () => {
      const t = await newTenant(1);
      const bindings = { ...env, ENVIRONMENT: "production", AUTH_SIGNING_SECRET: secret } as Env;
      const checked = await call("/v1/credits", { key: t.key, bindings });
      expect(checked.status).toBe(503);
      const body = await json(checked);
      expect(body.error.code).toBe("unavailable");
      expect(body.error.message).toContain(problem);
      expect(body.error.message).toMatch(/wrangler secret put AUTH_SIGNING_SECRET/);
      const issued = await call(`/v1/admin/tenants/${t.id}/keys`, { key: ADMIN, bindings, init: { method: "POST" } });
      expect(issued.status).toBe(503);
      expect((await json(issued)).error.message).toContain(problem);

      const ready = await call("/readyz", { key: null, bindings });
      expect(ready.status).toBe(503);
      const text = await ready.text();
      const failing = JSON.parse(text).error.details.failing as Array<{ adapter: string; problem: string; fix: string }>;
      expect(failing).toEqual([{ adapter: "auth", ok: false, problem, fix: expect.stringMatching(/at least 32 characters/) }]);
      if (secret) expect(text).not.toContain(secret);
    });
  }

  it("the development key needs no signing secret", async () => {
    const bindings = { ...env, AUTH_SIGNING_SECRET: "" } as Env;
    expect((await call("/v1/credits", { bindings })).status).toBe(200);
  });
});

describe("failed-authentication limit per client", () => {
  it(`past ${DEFAULT_AUTH_FAILURES_PER_MIN} failures a minute a client gets 429 with Retry-After, even with a good key; other clients do not`, async () => {
    const t = await newTenant(1);
    const ip = clientIp();
    for (let i = 0; i < DEFAULT_AUTH_FAILURES_PER_MIN; i++) {
      expect((await call("/v1/credits", { key: `ec_${t.id}_not-a-key-${i}`, ip })).status).toBe(401);
    }
    let blocked: Response | undefined;
    // Refused before the key is looked at: nothing hashed, no object asked.
    expect(await workOf(async () => (blocked = await call("/v1/credits", { key: t.key, ip })))).toEqual({
      keyHashes: 0,
      jwtVerifications: 0,
    });
    expect(blocked!.status).toBe(429);
    const retryAfter = Number(blocked!.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    const body = await json(blocked!);
    expect(body.error.code).toBe("rate_limited");
    expect(body.error.message).toMatch(/too many failed authentications/);
    expect((await call("/v1/credits", { key: t.key, ip: clientIp() })).status).toBe(200);
  });

  it("AUTH_FAILURES_PER_MIN sets the limit; bad admin tokens and missing keys count too", async () => {
    const bindings = { ...env, AUTH_FAILURES_PER_MIN: "2" } as Env;
    const ip = clientIp();
    expect((await call("/v1/admin/tenants/x/keys", { key: "not-the-admin-token", ip, bindings, init: { method: "POST" } })).status).toBe(
      401,
    );
    expect((await call("/v1/credits", { key: null, ip, bindings })).status).toBe(401);
    const res = await call("/v1/admin/tenants", { key: ADMIN, ip, bindings });
    expect(res.status).toBe(429);
    expect((await json(res)).error.code).toBe("rate_limited");
  });

  it("AUTH_FAILURES_PER_MIN=0 turns the limit off", async () => {
    const bindings = { ...env, AUTH_FAILURES_PER_MIN: "0" } as Env;
    const ip = clientIp();
    for (let i = 0; i < DEFAULT_AUTH_FAILURES_PER_MIN + 5; i++)
      expect((await call("/v1/credits", { key: "nope", ip, bindings })).status).toBe(401);
    expect((await call("/v1/credits", { ip, bindings })).status).toBe(200);
  });
});
