// Supabase JWTs as API credentials (SUPABASE_JWT_SECRET set): the tenant comes from
// app_metadata.tenant_id, else sub; a wrong audience, issuer, signature or an expired token is 401.
import { describe, expect, it } from "vitest";
import { ADMIN, api, json, newTenant } from "../helpers/api";
import { supabaseJwt } from "../helpers/external";

async function credits(token: string): Promise<Response> {
  return api("/v1/credits", { key: token });
}

describe("Supabase JWT auth", () => {
  it("a valid token acts as the tenant named in app_metadata.tenant_id", async () => {
    const t = await newTenant(250);
    const token = await supabaseJwt({ sub: crypto.randomUUID(), tenantId: t.id });
    const res = await credits(token);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ available: 250, reserved: 0, spent_total: 0 });
    const created = await api("/v1/runs", { method: "POST", key: token, json: { agent: "general", input: "hello" } });
    expect(created.status).toBe(202);
    // The run belongs to that tenant: its API key sees it.
    const id = ((await created.json()) as { id: string }).id;
    expect((await api(`/v1/runs/${id}`, { key: t.key })).status).toBe(200);
  });

  it("without app_metadata.tenant_id the subject is the tenant", async () => {
    const sub = crypto.randomUUID();
    const made = await api("/v1/admin/tenants", { method: "POST", key: ADMIN, json: { id: sub, name: "By subject", credits: 7 } });
    expect(made.status).toBe(201);
    const res = await credits(await supabaseJwt({ sub }));
    expect(res.status).toBe(200);
    expect((await res.json()) as object).toMatchObject({ available: 7 });
  });

  it("refuses a wrong audience, a wrong issuer, an expired token and a bad signature", async () => {
    const t = await newTenant(10);
    const sub = crypto.randomUUID();
    const cases: Array<[string, Promise<string>, RegExp]> = [
      ["audience", supabaseJwt({ sub, tenantId: t.id, aud: "anon" }), /aud/],
      ["issuer", supabaseJwt({ sub, tenantId: t.id, iss: "https://other.supabase.co/auth/v1" }), /iss/],
      ["expired", supabaseJwt({ sub, tenantId: t.id, expiresIn: -120 }), /expired/],
      ["signature", supabaseJwt({ sub, tenantId: t.id }, "another-secret-of-at-least-thirty-two-chars"), /signature/],
    ];
    for (const [label, token, reason] of cases) {
      const res = await credits(await token);
      expect(res.status, label).toBe(401);
      const body = await json(res);
      expect(body.error.code, label).toBe("unauthorized");
      expect(body.error.message, label).toMatch(reason);
    }
  });

  it("refuses a token for a tenant that does not exist or with no usable tenant", async () => {
    const unknown = await credits(await supabaseJwt({ sub: crypto.randomUUID(), tenantId: "no-such-tenant-here" }));
    expect(unknown.status).toBe(401);
    const bad = await credits(await supabaseJwt({ sub: "Not_A_Tenant" }));
    expect(bad.status).toBe(401);
    expect((await json(bad)).error.message).toMatch(/names no tenant/);
  });
});
