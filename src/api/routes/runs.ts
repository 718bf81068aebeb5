// /v1/runs: create, get, list, cancel, logs (JSON and SSE), WebSocket stream and stream tickets.

import { type Context, Hono } from "hono";
import { assertModelConfigured, config, workspaceLimits } from "../../deps";
import { ApiError } from "../../domain/errors";
import { newId } from "../../domain/ids";
import { newTicketClaims, signTicket, verifyTicket } from "../../domain/stream-ticket";
import { RUN_STATUSES } from "../../domain/types";
import { checkOutboundUrl } from "../../domain/url-policy";
import type { CancelResult, RetryResult } from "../../run/protocol";
import type { RunView } from "../../run/view";
import type { CreateRunResult, TenantError } from "../../tenant/protocol";
import { parseRunsCursor } from "../../tenant/runs-cursor";
import type { AppEnv } from "../app-env";
import { audit } from "../audit";
import { requireTenant, tenantStub } from "../auth";
import { limitFailures, recordFailure } from "../auth-failures";
import { signingKey } from "../auth-settings";
import { hashBody, queryInt, readJsonObject, readOptionalJsonObject } from "../http";
import { parseCreateRun, parseRetryBody } from "../schemas";
import { runStub, tenantError } from "../stubs";
import { workspaceUsage } from "./files";

export const runs = new Hono<AppEnv>();

/** Headers the Worker sets on a stream request it forwards to the run: the tenant, and a ticket's nonce. */
const STREAM_TENANT_HEADER = "x-edgecrew-tenant";
const STREAM_NONCE_HEADER = "x-edgecrew-ticket-nonce";

// The stream authenticates by header (the /v1 middleware) or, for browsers, by a signed ticket from
// POST /v1/runs/:id/stream-ticket: its MAC, run and expiry are checked here, before the run's object
// is asked; the object then lets the ticket's nonce open one stream.
runs.get("/:id/stream", async (c) => {
  if (c.req.header("upgrade")?.toLowerCase() !== "websocket")
    throw new ApiError("invalid_request", "this endpoint needs a WebSocket upgrade (Upgrade: websocket)");
  const id = c.req.param("id");
  const stub = runStub(c.env, id);
  const headers = new Headers(c.req.raw.headers);
  for (const h of ["authorization", STREAM_TENANT_HEADER, STREAM_NONCE_HEADER]) headers.delete(h);
  const ticketed = !c.get("tenant");
  const caller = ticketed ? await ticketCaller(c, id) : { tenant: c.get("tenant"), nonce: null };
  headers.set(STREAM_TENANT_HEADER, caller.tenant);
  if (caller.nonce !== null) headers.set(STREAM_NONCE_HEADER, caller.nonce);
  const res = await stub.fetch(new Request(c.req.url, { headers }));
  // A ticket the run has already seen: a failed authentication like any other.
  if (ticketed && res.status === 401) recordFailure(c);
  return res;
});

/** The tenant and nonce of a valid `?ticket=` for run `id`; 401 (counted as a failure) otherwise. */
function ticketCaller(c: Context<AppEnv>, id: string): Promise<{ tenant: string; nonce: string }> {
  return limitFailures(c, async () => {
    const ticket = c.req.query("ticket");
    if (!ticket) throw new ApiError("unauthorized", "send Authorization: Bearer <key> or ?ticket= from POST /v1/runs/:id/stream-ticket");
    const verdict = await verifyTicket(await signingKey(c.env), ticket, id, Date.now());
    if (!verdict.ok) throw new ApiError("unauthorized", verdict.reason);
    return { tenant: verdict.claims.tenant, nonce: verdict.claims.nonce };
  });
}

runs.use("*", requireTenant);

runs.post("/", async (c) => {
  // Without a model no run could execute: refuse before reading, reserving or creating anything.
  assertModelConfigured(c.env);
  const { body } = await readJsonObject(c);
  const parsed = parseCreateRun(body, Date.now(), workspaceLimits(c.env));
  if (parsed.webhook_url !== null) {
    const check = checkOutboundUrl(parsed.webhook_url, { development: config(c.env).environment === "development" });
    if (!check.ok) throw new ApiError("invalid_request", `webhook_url: ${check.error}`, { field: "webhook_url" });
  }
  const key = c.req.header("idempotency-key") ?? null;
  if (key !== null && (key.length === 0 || key.length > 255))
    throw new ApiError("invalid_request", "Idempotency-Key must be 1 to 255 characters", { field: "Idempotency-Key" });
  const res: CreateRunResult = (await tenantStub(c.env, c.get("tenant")).createRun(c.get("tenant"), {
    runId: newId("run"),
    agent: parsed.agent,
    input: parsed.input,
    priority: parsed.priority,
    maxCredits: parsed.max_credits,
    metadata: parsed.metadata,
    runAt: parsed.run_at,
    webhookUrl: parsed.webhook_url,
    idempotencyKey: key,
    bodyHash: await hashBody(body),
    baseUrl: new URL(c.req.url).origin,
    files: parsed.files,
  })) as CreateRunResult;
  if ("error" in res) throw tenantError(res);
  if ("replay" in res) return c.json(res.replay, 200);
  return c.json(res.created, 202);
});

runs.get("/", async (c) => {
  const status = c.req.query("status") ?? null;
  if (status !== null && !(RUN_STATUSES as readonly string[]).includes(status))
    throw new ApiError("invalid_request", `status must be one of ${RUN_STATUSES.join(", ")}`, { field: "status" });
  const limit = queryInt(c, "limit", 1, 100, 20);
  const cursor = c.req.query("cursor") ?? null;
  if (cursor !== null && !parseRunsCursor(cursor)) throw new ApiError("invalid_request", "cursor is not valid", { field: "cursor" });
  return c.json(await tenantStub(c.env, c.get("tenant")).listRuns({ status, agent: c.req.query("agent") ?? null, limit, cursor }));
});

runs.get("/:id", async (c) => {
  const run = (await runStub(c.env, c.req.param("id")).get(c.get("tenant"))) as RunView | null;
  if (!run) throw new ApiError("not_found", "run not found");
  return c.json({ ...run, workspace: await workspaceUsage(c.env, c.get("tenant"), run.id) });
});

runs.post("/:id/cancel", async (c) => {
  const id = c.req.param("id");
  const res = (await runStub(c.env, id).cancel(c.get("tenant"))) as CancelResult;
  if ("error" in res) throw new ApiError(res.error.code, res.error.message);
  await audit(c, { action: "run.canceled", target: { type: "run", id }, details: {} });
  return c.json(res.run);
});

// The body is optional: without one (or `{}`) the run resumes after its last completed step.
runs.post("/:id/retry", async (c) => {
  const id = c.req.param("id");
  runStub(c.env, id);
  const correction = parseRetryBody(await readOptionalJsonObject(c));
  const res = (await tenantStub(c.env, c.get("tenant")).retryRun(c.get("tenant"), id, correction, {
    actor: c.get("actor"),
    action: "run.retried",
  })) as RetryResult | TenantError;
  if ("error" in res) {
    if (res.error.code === "invalid_request") throw new ApiError("invalid_request", res.error.message, { field: "from_step" });
    throw tenantError(res as TenantError);
  }
  return c.json(res.run);
});

runs.get("/:id/logs", async (c) => {
  const stub = runStub(c.env, c.req.param("id"));
  if ((c.req.header("accept") ?? "").includes("text/event-stream")) {
    queryInt(c, "after", 0, Number.MAX_SAFE_INTEGER, 0);
    const headers = new Headers(c.req.raw.headers);
    headers.delete(STREAM_NONCE_HEADER);
    headers.set(STREAM_TENANT_HEADER, c.get("tenant"));
    return stub.fetch(new Request(c.req.url, { headers }));
  }
  const after = queryInt(c, "after", 0, Number.MAX_SAFE_INTEGER, 0);
  const limit = queryInt(c, "limit", 1, 1000, 100);
  const page = await stub.logs(c.get("tenant"), after, limit);
  if (!page) throw new ApiError("not_found", "run not found");
  return c.json(page);
});

/** A single-use ticket (valid 60 s) that lets a browser open the run's stream without a header. */
runs.post("/:id/stream-ticket", async (c) => {
  const stub = runStub(c.env, c.req.param("id"));
  const key = await signingKey(c.env);
  const claims = newTicketClaims(c.req.param("id"), c.get("tenant"), Date.now());
  if (!(await stub.issueTicket(c.get("tenant"), claims.nonce, claims.expiresAt))) throw new ApiError("not_found", "run not found");
  return c.json({ ticket: await signTicket(key, claims), expires_at: new Date(claims.expiresAt).toISOString() }, 201);
});
