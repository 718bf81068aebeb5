// /v1/runs: create, get, list, cancel, logs (JSON and SSE), WebSocket stream and stream tickets.

import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { assertModelConfigured, config, workspaceLimits } from "../../deps";
import { ApiError } from "../../domain/errors";
import { newId } from "../../domain/ids";
import { newTicketClaims, signTicket, verifyTicket } from "../../domain/stream-ticket";
import { checkOutboundUrl } from "../../domain/url-policy";
import type { CancelResult, RetryResult } from "../../run/protocol";
import type { RunView } from "../../run/view";
import type { CreateRunResult, TenantError } from "../../tenant/protocol";
import { parseRunsCursor } from "../../tenant/runs-cursor";
import type { WorkspaceUsage } from "../../workspace/run-workspace";
import type { AppEnv } from "../app-env";
import { audit } from "../audit";
import { requireTenant, tenantStub } from "../auth";
import { limitFailures, recordFailure } from "../auth-failures";
import { signingKey } from "../auth-settings";
import { hashBody } from "../http";
import { BODY_ERRORS, errors, json, ProgressQuery, queryInt, RunIdParams, TENANT_ERRORS, TENANT_SECURITY } from "../schemas/common";
import {
  CreatedRun,
  CreateRunBody,
  checkFileLimits,
  IdempotencyHeaders,
  LogPage,
  RetryBody,
  Run,
  RunList,
  RunStatus,
  StreamTicket,
} from "../schemas/runs";
import { runStub, tenantError } from "../stubs";
import { jsonBody, optionalJsonBody, router } from "../validation";
import { workspaceUsage } from "./files";

export const runs = router();

/** Headers the Worker sets on a stream request it forwards to the run: the tenant, and a ticket's nonce. */
const STREAM_TENANT_HEADER = "x-edgecrew-tenant";
const STREAM_NONCE_HEADER = "x-edgecrew-ticket-nonce";
const tags = ["Runs"];

const streamRoute = createRoute({
  method: "get",
  path: "/{id}/stream",
  operationId: "streamRun",
  tags,
  summary: "Stream a run's events over a WebSocket",
  description:
    'With `Upgrade: websocket`: each message is one log event as JSON, replaying the events after `after` first, then live; closes with code 1000 after the final event. Browsers authenticate with `?ticket=`. With `progress=true` the stream also carries live progress notes (`{"type":"progress",...}`, no `seq`, never stored or replayed).',
  security: [...TENANT_SECURITY, { streamTicket: [] }],
  request: {
    params: RunIdParams,
    query: z.object({
      after: queryInt(0, Number.MAX_SAFE_INTEGER, 0, "Replay the events after this seq first"),
      progress: ProgressQuery,
    }),
  },
  responses: {
    101: { description: "Switching to the WebSocket protocol" },
    ...errors("invalid_request", "not_found", ...TENANT_ERRORS),
  },
});

// The stream authenticates by header (the /v1 middleware) or, for browsers, by a signed ticket from
// POST /v1/runs/:id/stream-ticket: its MAC, run and expiry are checked here, before the run's object
// is asked; the object then lets the ticket's nonce open one stream.
runs.openapi(streamRoute, async (c) => {
  if (c.req.header("upgrade")?.toLowerCase() !== "websocket")
    throw new ApiError("invalid_request", "this endpoint needs a WebSocket upgrade (Upgrade: websocket)");
  const id = c.req.valid("param").id;
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

const createRunRoute = createRoute({
  method: "post",
  path: "/",
  operationId: "createRun",
  tags,
  summary: "Create a run",
  description:
    "Reserves the run's credits, then queues (or schedules) it. With an `Idempotency-Key` already used with the same body, answers 200 with the first answer.",
  security: TENANT_SECURITY,
  middleware: [jsonBody],
  request: {
    headers: IdempotencyHeaders,
    body: { required: true, content: { "application/json": { schema: CreateRunBody } } },
  },
  responses: {
    202: json(CreatedRun, "The run was created"),
    200: json(CreatedRun, "The same request was made before with this Idempotency-Key: its first answer"),
    ...errors(...BODY_ERRORS, "insufficient_credits", "conflict", ...TENANT_ERRORS),
  },
});

runs.openapi(createRunRoute, async (c) => {
  // Without a model no run could execute: refuse before reserving or creating anything.
  assertModelConfigured(c.env);
  const body = c.req.valid("json");
  if (body.files) checkFileLimits(body.files as Record<string, string>, workspaceLimits(c.env));
  const webhookUrl = body.webhook_url ?? null;
  if (webhookUrl !== null) {
    const check = checkOutboundUrl(webhookUrl, { development: config(c.env).environment === "development" });
    if (!check.ok) throw new ApiError("invalid_request", `webhook_url: ${check.error}`, { field: "webhook_url" });
  }
  const key = c.req.valid("header")["Idempotency-Key"] ?? null;
  const res: CreateRunResult = (await tenantStub(c.env, c.get("tenant")).createRun(c.get("tenant"), {
    runId: newId("run"),
    agent: body.agent,
    input: body.input,
    priority: body.priority ?? null,
    maxCredits: body.max_credits ?? null,
    metadata: body.metadata ?? null,
    runAt: body.run_at ? Date.parse(body.run_at) : null,
    webhookUrl,
    idempotencyKey: key,
    bodyHash: await hashBody(await c.req.json()),
    baseUrl: new URL(c.req.url).origin,
    files: (body.files as Record<string, string> | null | undefined) ?? null,
  })) as CreateRunResult;
  if ("error" in res) throw tenantError(res);
  if ("replay" in res) return c.json(res.replay, 200);
  return c.json(res.created, 202);
});

const listRunsRoute = createRoute({
  method: "get",
  path: "/",
  operationId: "listRuns",
  tags,
  summary: "List runs",
  description: "Newest first; pass `next_cursor` as `cursor` for the next page.",
  security: TENANT_SECURITY,
  request: {
    query: z.object({
      status: RunStatus.optional().openapi({ description: "Only runs in this status" }),
      agent: z.string().optional().openapi({ description: "Only runs of this agent" }),
      limit: queryInt(1, 100, 20, "Page size"),
      cursor: z
        .string()
        .refine((s) => parseRunsCursor(s) !== null, { error: "is not valid" })
        .optional()
        .openapi({ description: "`next_cursor` of the previous page" }),
    }),
  },
  responses: { 200: json(RunList, "A page of runs"), ...errors("invalid_request", ...TENANT_ERRORS) },
});

runs.openapi(listRunsRoute, async (c) => {
  const q = c.req.valid("query");
  const page = await tenantStub(c.env, c.get("tenant")).listRuns({
    status: q.status ?? null,
    agent: q.agent ?? null,
    limit: q.limit,
    cursor: q.cursor ?? null,
  });
  return c.json(page as z.infer<typeof RunList>, 200);
});

const getRunRoute = createRoute({
  method: "get",
  path: "/{id}",
  operationId: "getRun",
  tags,
  summary: "Get a run",
  description: "The run with its plan, steps, usage, credits, approvals and workspace usage.",
  security: TENANT_SECURITY,
  request: { params: RunIdParams },
  responses: { 200: json(Run, "The run"), ...errors("not_found", ...TENANT_ERRORS) },
});

runs.openapi(getRunRoute, async (c) => {
  const run = (await runStub(c.env, c.req.valid("param").id).get(c.get("tenant"))) as (RunView & { workspace?: WorkspaceUsage }) | null;
  if (!run) throw new ApiError("not_found", "run not found");
  // Listing the workspace is an R2 request: only for a run whose workspace may hold files.
  const workspace = run.workspace ?? (await workspaceUsage(c.env, c.get("tenant"), run.id));
  return c.json({ ...run, workspace } as z.infer<typeof Run>, 200);
});

const cancelRoute = createRoute({
  method: "post",
  path: "/{id}/cancel",
  operationId: "cancelRun",
  tags,
  summary: "Cancel a run",
  description: "Any non-final run becomes `canceled`; its unspent credits are released. A final run is 409.",
  security: TENANT_SECURITY,
  request: { params: RunIdParams },
  responses: { 200: json(Run, "The canceled run"), ...errors("not_found", "conflict", ...TENANT_ERRORS) },
});

runs.openapi(cancelRoute, async (c) => {
  const { id } = c.req.valid("param");
  const res = (await runStub(c.env, id).cancel(c.get("tenant"))) as CancelResult;
  if ("error" in res) throw new ApiError(res.error.code, res.error.message);
  await audit(c, { action: "run.canceled", target: { type: "run", id }, details: {} });
  return c.json(res.run as z.infer<typeof Run>, 200);
});

const retryRoute = createRoute({
  method: "post",
  path: "/{id}/retry",
  operationId: "retryRun",
  tags,
  summary: "Retry a failed or dead run",
  description:
    "The run goes back to `queued`. Without a body it resumes after its last completed step; `from_step` re-runs from that step, and a new `input` replaces the run's input for the steps still to do. Other states are 409.",
  security: TENANT_SECURITY,
  middleware: [optionalJsonBody],
  request: { params: RunIdParams, body: { required: false, content: { "application/json": { schema: RetryBody } } } },
  responses: {
    200: json(Run, "The run, queued again"),
    ...errors(...BODY_ERRORS, "not_found", "conflict", "insufficient_credits", ...TENANT_ERRORS),
  },
});

runs.openapi(retryRoute, async (c) => {
  const id = c.req.valid("param").id;
  const body = c.req.valid("json") as z.infer<typeof RetryBody>;
  const correction = {
    ...(body.input === undefined ? {} : { input: body.input }),
    ...(body.from_step === undefined ? {} : { fromStep: body.from_step }),
  };
  const res = (await tenantStub(c.env, c.get("tenant")).retryRun(c.get("tenant"), id, correction, {
    actor: c.get("actor"),
    action: "run.retried",
  })) as RetryResult | TenantError;
  if ("error" in res) {
    if (res.error.code === "invalid_request") throw new ApiError("invalid_request", res.error.message, { field: "from_step" });
    throw tenantError(res as TenantError);
  }
  return c.json(res.run as z.infer<typeof Run>, 200);
});

const logsRoute = createRoute({
  method: "get",
  path: "/{id}/logs",
  operationId: "getRunLogs",
  tags,
  summary: "Read a run's log",
  description:
    "A page of events as JSON, or with `Accept: text/event-stream` a live SSE stream (`id: <seq>`, `event: <type>`, `data: <event>`) that honours `Last-Event-ID` and closes after the final event. With `progress=true` the SSE stream also carries `event: progress` frames without an `id:` (live progress notes, never stored or replayed).",
  security: TENANT_SECURITY,
  request: {
    params: RunIdParams,
    query: z.object({
      after: queryInt(0, Number.MAX_SAFE_INTEGER, 0, "Only events with a greater seq"),
      limit: queryInt(1, 1000, 100, "Page size (JSON only)"),
      progress: ProgressQuery,
    }),
  },
  responses: {
    200: {
      description: "Events after `after`",
      content: {
        "application/json": { schema: LogPage },
        "text/event-stream": { schema: z.string().openapi({ description: "Server-sent events, one a log event" }) },
      },
    },
    204: { description: "SSE only: the run is final and `after` (or `Last-Event-ID`) is at or past its last event; stop reconnecting" },
    ...errors("invalid_request", "not_found", ...TENANT_ERRORS),
  },
});

runs.openapi(logsRoute, async (c) => {
  const stub = runStub(c.env, c.req.valid("param").id);
  if ((c.req.header("accept") ?? "").includes("text/event-stream")) {
    const headers = new Headers(c.req.raw.headers);
    headers.delete(STREAM_NONCE_HEADER);
    headers.set(STREAM_TENANT_HEADER, c.get("tenant"));
    return stub.fetch(new Request(c.req.url, { headers }));
  }
  const { after, limit } = c.req.valid("query");
  const page = await stub.logs(c.get("tenant"), after, limit);
  if (!page) throw new ApiError("not_found", "run not found");
  return c.json(page as z.infer<typeof LogPage>, 200);
});

const ticketRoute = createRoute({
  method: "post",
  path: "/{id}/stream-ticket",
  operationId: "createStreamTicket",
  tags,
  summary: "Issue a stream ticket",
  description: "A single-use ticket, valid 60 s, that opens the run's WebSocket stream without an Authorization header.",
  security: TENANT_SECURITY,
  request: { params: RunIdParams },
  responses: { 201: json(StreamTicket, "The ticket"), ...errors("not_found", ...TENANT_ERRORS) },
});

runs.openapi(ticketRoute, async (c) => {
  const id = c.req.valid("param").id;
  const stub = runStub(c.env, id);
  const key = await signingKey(c.env);
  const claims = newTicketClaims(id, c.get("tenant"), Date.now());
  if (!(await stub.issueTicket(c.get("tenant"), claims.nonce, claims.expiresAt))) throw new ApiError("not_found", "run not found");
  return c.json({ ticket: await signTicket(key, claims), expires_at: new Date(claims.expiresAt).toISOString() }, 201);
});
