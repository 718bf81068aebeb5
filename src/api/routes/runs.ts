// /v1/runs: create, get, list, cancel, logs (JSON and SSE), WebSocket stream and stream tickets.

import { Hono } from "hono";
import { config } from "../../deps";
import { ApiError } from "../../domain/errors";
import { newId, RUN_ID_PATTERN } from "../../domain/ids";
import type { RunStatus } from "../../domain/types";
import { checkOutboundUrl } from "../../domain/url-policy";
import type { CancelResult } from "../../run/run-object";
import type { CreateRunResult, TenantError } from "../../tenant/protocol";
import { parseRunsCursor } from "../../tenant/runs-cursor";
import type { AppEnv } from "../app-env";
import { authenticate, requireTenant, tenantStub } from "../auth";
import { hashBody, queryInt, readJsonObject } from "../http";
import { parseCreateRun } from "../schemas";

const STATUSES: RunStatus[] = ["scheduled", "queued", "running", "awaiting_approval", "succeeded", "failed", "canceled", "expired", "dead"];

export function runStub(env: Env, id: string) {
  if (!RUN_ID_PATTERN.test(id)) throw new ApiError("not_found", "run not found");
  return env.RUNS.get(env.RUNS.idFromName(id));
}

/** Turns a tenant object's refusal into the API error. */
export function tenantError(e: TenantError): ApiError {
  const headers = e.error.retryAfter ? { "retry-after": String(e.error.retryAfter) } : undefined;
  return new ApiError(e.error.code, e.error.message, e.error.details, headers);
}

export const runs = new Hono<AppEnv>();

// The stream authenticates by header or, for browsers, by a single-use ticket checked by the run.
runs.get("/:id/stream", async (c) => {
  if (c.req.header("upgrade")?.toLowerCase() !== "websocket")
    throw new ApiError("invalid_request", "this endpoint needs a WebSocket upgrade (Upgrade: websocket)");
  const stub = runStub(c.env, c.req.param("id"));
  const headers = new Headers(c.req.raw.headers);
  headers.delete("x-edgecrew-tenant");
  if (c.req.header("authorization")) headers.set("x-edgecrew-tenant", await authenticate(c));
  else if (!c.req.query("ticket"))
    throw new ApiError("unauthorized", "send Authorization: Bearer <key> or ?ticket= from POST /v1/runs/:id/stream-ticket");
  return stub.fetch(new Request(c.req.url, { headers }));
});

runs.use("*", requireTenant);

runs.post("/", async (c) => {
  const { body } = await readJsonObject(c);
  const parsed = parseCreateRun(body, Date.now());
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
  })) as CreateRunResult;
  if ("error" in res) throw tenantError(res);
  if ("replay" in res) return c.json(res.replay, 200);
  return c.json(res.created, 202);
});

runs.get("/", async (c) => {
  const status = c.req.query("status") ?? null;
  if (status !== null && !STATUSES.includes(status as RunStatus))
    throw new ApiError("invalid_request", `status must be one of ${STATUSES.join(", ")}`, { field: "status" });
  const limit = queryInt(c, "limit", 1, 100, 20);
  const cursor = c.req.query("cursor") ?? null;
  if (cursor !== null && !parseRunsCursor(cursor)) throw new ApiError("invalid_request", "cursor is not valid", { field: "cursor" });
  return c.json(await tenantStub(c.env, c.get("tenant")).listRuns({ status, agent: c.req.query("agent") ?? null, limit, cursor }));
});

runs.get("/:id", async (c) => {
  const run = await runStub(c.env, c.req.param("id")).get(c.get("tenant"));
  if (!run) throw new ApiError("not_found", "run not found");
  return c.json(run);
});

runs.post("/:id/cancel", async (c) => {
  const res = (await runStub(c.env, c.req.param("id")).cancel(c.get("tenant"))) as CancelResult;
  if ("error" in res) throw new ApiError(res.error.code, res.error.message);
  return c.json(res.run);
});

runs.post("/:id/retry", async (c) => {
  const id = c.req.param("id");
  runStub(c.env, id);
  const res = (await tenantStub(c.env, c.get("tenant")).retryRun(c.get("tenant"), id)) as CancelResult | TenantError;
  if ("error" in res) throw tenantError(res as TenantError);
  return c.json(res.run);
});

runs.get("/:id/logs", async (c) => {
  const stub = runStub(c.env, c.req.param("id"));
  if ((c.req.header("accept") ?? "").includes("text/event-stream")) {
    queryInt(c, "after", 0, Number.MAX_SAFE_INTEGER, 0);
    const headers = new Headers(c.req.raw.headers);
    headers.set("x-edgecrew-tenant", c.get("tenant"));
    return stub.fetch(new Request(c.req.url, { headers }));
  }
  const after = queryInt(c, "after", 0, Number.MAX_SAFE_INTEGER, 0);
  const limit = queryInt(c, "limit", 1, 1000, 100);
  const page = await stub.logs(c.get("tenant"), after, limit);
  if (!page) throw new ApiError("not_found", "run not found");
  return c.json(page);
});

runs.post("/:id/stream-ticket", async (c) => {
  const ticket = await runStub(c.env, c.req.param("id")).issueTicket(c.get("tenant"));
  if (!ticket) throw new ApiError("not_found", "run not found");
  return c.json(ticket, 201);
});
