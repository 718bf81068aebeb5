// /v1/admin: tenants, their API keys and credit top-ups (Bearer ADMIN_TOKEN).

import { createRoute, z } from "@hono/zod-openapi";
import { HEARTBEATS_INSTANCE } from "../../adapters/heartbeats/durable";
import { creditLedger } from "../../deps";
import { ApiError } from "../../domain/errors";
import { newId } from "../../domain/ids";
import { metricsPushCosts } from "../../ops/metrics-object";
import { issueKey } from "../../tenant/keys";
import type { TenantError } from "../../tenant/protocol";
import { audit } from "../audit";
import { forgetKeys, requireAdmin, tenantStub } from "../auth";
import { signingKey } from "../auth-settings";
import {
  CreateTenantBody,
  IssuedKey,
  RevokedKey,
  RunCosts,
  SharedCosts,
  Tenant,
  TenantIdParams,
  TopUpBody,
  TopUpHeaders,
} from "../schemas/admin";
import { ADMIN_SECURITY, BODY_ERRORS, errors, json, RunIdParams } from "../schemas/common";
import { Balance } from "../schemas/operations";
import { tenantError } from "../stubs";
import { jsonBody, router } from "../validation";

export const admin = router();
admin.use("*", requireAdmin);
const tags = ["Admin"];
const security = ADMIN_SECURITY;
// Admin routes answer 404 when the admin API is disabled (no ADMIN_TOKEN).
const ADMIN_ERRORS = ["unauthorized", "not_found", "rate_limited"] as const;

const createTenant = createRoute({
  method: "post",
  path: "/tenants",
  operationId: "createTenant",
  tags,
  security,
  summary: "Create a tenant",
  middleware: [jsonBody],
  request: { body: { required: true, content: { "application/json": { schema: CreateTenantBody } } } },
  responses: { 201: json(Tenant, "The tenant and its balance"), ...errors(...BODY_ERRORS, ...ADMIN_ERRORS, "conflict", "unavailable") },
});

admin.openapi(createTenant, async (c) => {
  const body = c.req.valid("json");
  const id = body.id ?? newId("t").replace("_", "-");
  const name = body.name.trim();
  // An unavailable ledger (e.g. Supabase without its migrations) refuses before anything is created.
  await creditLedger(c.env).balance(id);
  const res = await tenantStub(c.env, id).ensure(id, name, body.credits ?? 0, c.get("actor"));
  if ("error" in res) throw tenantError(res as TenantError);
  if (!res.created) throw new ApiError("conflict", `tenant ${id} already exists`);
  const balance = await creditLedger(c.env).balance(id);
  return c.json({ ...res.tenant, credits: balance }, 201);
});

const createKey = createRoute({
  method: "post",
  path: "/tenants/{id}/keys",
  operationId: "createApiKey",
  tags,
  security,
  summary: "Issue an API key",
  description: "The key is shown only in this answer and stored as a hash; `id` names it for revocation.",
  request: { params: TenantIdParams },
  responses: { 201: json(IssuedKey, "The new key"), ...errors(...ADMIN_ERRORS, "unavailable") },
});

admin.openapi(createKey, async (c) => {
  const { id } = c.req.valid("param");
  const issued = await issueKey(await signingKey(c.env), id);
  if (!(await tenantStub(c.env, id).addKey(issued.id, issued.hash, c.get("actor")))) throw new ApiError("not_found", "tenant not found");
  return c.json({ id: issued.id, key: issued.key }, 201);
});

const revokeKey = createRoute({
  method: "delete",
  path: "/tenants/{id}/keys/{keyId}",
  operationId: "revokeApiKey",
  tags,
  security,
  summary: "Revoke an API key",
  request: {
    params: TenantIdParams.extend({ keyId: z.string().openapi({ param: { name: "keyId", in: "path" }, description: "The key's id" }) }),
  },
  responses: { 200: json(RevokedKey, "The key is revoked"), ...errors(...ADMIN_ERRORS) },
});

admin.openapi(revokeKey, async (c) => {
  const { id, keyId } = c.req.valid("param");
  if (!(await tenantStub(c.env, id).revokeKey(keyId, c.get("actor")))) throw new ApiError("not_found", "key not found or already revoked");
  forgetKeys(id);
  return c.json({ id: keyId, revoked: true as const }, 200);
});

const runCost = createRoute({
  method: "get",
  path: "/runs/{id}/cost",
  operationId: "getRunCost",
  tags,
  security,
  summary: "A run's platform cost counters",
  request: { params: RunIdParams },
  responses: { 200: json(RunCosts, "The run's counters"), ...errors(...ADMIN_ERRORS) },
});

/** What a run has cost the platform so far (benchmarks): see RunObject.costs. */
admin.openapi(runCost, async (c) => {
  const { id } = c.req.valid("param");
  return c.json(await c.env.RUNS.get(c.env.RUNS.idFromName(id)).costs(), 200);
});

const sharedCost = createRoute({
  method: "get",
  path: "/shared/cost",
  operationId: "getSharedCost",
  tags,
  security,
  summary: "What the objects shared by every run have cost",
  responses: { 200: json(SharedCosts, "The heartbeat and metrics counters"), ...errors(...ADMIN_ERRORS) },
});

/** Heartbeat calls and metrics flushes, with their rows, since their objects started (benchmarks: the share every run pays). */
admin.openapi(sharedCost, async (c) => {
  const [heartbeats, metrics] = await Promise.all([
    c.env.OPS.get(c.env.OPS.idFromName(HEARTBEATS_INSTANCE)).heartbeatCost(),
    metricsPushCosts(c.env.METRICS),
  ]);
  return c.json({ heartbeats, metrics }, 200);
});

const topUp = createRoute({
  method: "post",
  path: "/tenants/{id}/credits",
  operationId: "topUpCredits",
  tags,
  security,
  summary: "Top up credits",
  middleware: [jsonBody],
  request: {
    params: TenantIdParams,
    headers: TopUpHeaders,
    body: { required: true, content: { "application/json": { schema: TopUpBody } } },
  },
  responses: { 200: json(Balance, "The tenant's balance after the top-up"), ...errors(...BODY_ERRORS, ...ADMIN_ERRORS, "unavailable") },
});

admin.openapi(topUp, async (c) => {
  const { id } = c.req.valid("param");
  const body = c.req.valid("json");
  const stub = tenantStub(c.env, id);
  if (!(await stub.exists())) throw new ApiError("not_found", "tenant not found");
  const key = c.req.valid("header")["Idempotency-Key"] ?? newId("topup");
  const balance = await creditLedger(c.env).topUp(id, body.amount, `topup:${key}`, body.reason);
  const details = { amount: body.amount, ...(body.reason ? { reason: body.reason } : {}) };
  await audit(c, { action: "credits.topped_up", target: { type: "tenant", id }, details }, id);
  return c.json(balance, 200);
});
