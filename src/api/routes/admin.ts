// /v1/admin: tenants, their API keys and credit top-ups (Bearer ADMIN_TOKEN).

import { Hono } from "hono";
import { creditLedger } from "../../deps";
import { ApiError } from "../../domain/errors";
import { newId, RUN_ID_PATTERN, TENANT_ID_PATTERN } from "../../domain/ids";
import { issueKey } from "../../tenant/keys";
import type { TenantError } from "../../tenant/protocol";
import type { AppEnv } from "../app-env";
import { audit } from "../audit";
import { forgetKeys, requireAdmin, tenantStub } from "../auth";
import { signingKey } from "../auth-settings";
import { readJsonObject } from "../http";
import { parseCreditAmount } from "../schemas";
import { tenantError } from "../stubs";

export const admin = new Hono<AppEnv>();
admin.use("*", requireAdmin);

function tenantId(raw: string): string {
  if (!TENANT_ID_PATTERN.test(raw)) throw new ApiError("not_found", "tenant not found");
  return raw;
}

admin.post("/tenants", async (c) => {
  const { body } = await readJsonObject(c);
  const id = body.id === undefined ? newId("t").replace("_", "-") : body.id;
  if (typeof id !== "string" || !TENANT_ID_PATTERN.test(id))
    throw new ApiError("invalid_request", "id: lowercase letters, digits and dashes, at most 64", { field: "id" });
  if (typeof body.name !== "string" || body.name.trim() === "" || body.name.length > 200)
    throw new ApiError("invalid_request", "name: required, at most 200 characters", { field: "name" });
  const credits = parseCreditAmount(body.credits ?? 0, "credits", 0);
  // An unavailable ledger (e.g. Supabase without its migrations) refuses before anything is created.
  await creditLedger(c.env).balance(id);
  const res = await tenantStub(c.env, id).ensure(id, body.name.trim(), credits, c.get("actor"));
  if ("error" in res) throw tenantError(res as TenantError);
  if (!res.created) throw new ApiError("conflict", `tenant ${id} already exists`);
  const balance = await creditLedger(c.env).balance(id);
  return c.json({ ...res.tenant, credits: balance }, 201);
});

admin.post("/tenants/:id/keys", async (c) => {
  const id = tenantId(c.req.param("id"));
  const issued = await issueKey(await signingKey(c.env), id);
  if (!(await tenantStub(c.env, id).addKey(issued.id, issued.hash, c.get("actor")))) throw new ApiError("not_found", "tenant not found");
  return c.json({ id: issued.id, key: issued.key }, 201);
});

admin.delete("/tenants/:id/keys/:keyId", async (c) => {
  const id = tenantId(c.req.param("id"));
  if (!(await tenantStub(c.env, id).revokeKey(c.req.param("keyId"), c.get("actor"))))
    throw new ApiError("not_found", "key not found or already revoked");
  forgetKeys(id);
  return c.json({ id: c.req.param("keyId"), revoked: true });
});

/** What a run has cost the platform so far (benchmarks): see RunObject.costs. */
admin.get("/runs/:id/cost", async (c) => {
  const id = c.req.param("id");
  if (!RUN_ID_PATTERN.test(id)) throw new ApiError("not_found", "run not found");
  return c.json(await c.env.RUNS.get(c.env.RUNS.idFromName(id)).costs());
});

admin.post("/tenants/:id/credits", async (c) => {
  const id = tenantId(c.req.param("id"));
  const { body } = await readJsonObject(c);
  const amount = parseCreditAmount(body.amount, "amount", 1);
  if (body.reason !== undefined && typeof body.reason !== "string")
    throw new ApiError("invalid_request", "reason: must be a string", { field: "reason" });
  const stub = tenantStub(c.env, id);
  if (!(await stub.exists())) throw new ApiError("not_found", "tenant not found");
  const key = c.req.header("idempotency-key") ?? newId("topup");
  const reason = (body.reason as string | undefined) ?? undefined;
  const balance = await creditLedger(c.env).topUp(id, amount, `topup:${key}`, reason);
  await audit(c, { action: "credits.topped_up", target: { type: "tenant", id }, details: { amount, ...(reason ? { reason } : {}) } }, id);
  return c.json(balance);
});
