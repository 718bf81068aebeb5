// The tenant's webhook subscription (PUT /v1/webhooks), domain event log (GET /v1/events) and live
// event stream (GET /v1/events/stream, SSE or WebSocket).

import { type Context, Hono } from "hono";
import { config } from "../../deps";
import { ApiError } from "../../domain/errors";
import { EVENTS_STREAM, newTicketClaims, signTicket, verifyTicket } from "../../domain/stream-ticket";
import { isTopic, TOPICS, type Topic } from "../../domain/topics";
import { checkOutboundUrl } from "../../domain/url-policy";
import type { AppEnv } from "../app-env";
import { requireTenant, tenantStub } from "../auth";
import { limitFailures, recordFailure } from "../auth-failures";
import { signingKey } from "../auth-settings";
import { queryInt, readJsonObject } from "../http";

export const events = new Hono<AppEnv>();

const TOPIC_LIST = `one of ${TOPICS.join(", ")}`;

events.put("/webhooks", requireTenant, async (c) => {
  const { body } = await readJsonObject(c);
  for (const k of Object.keys(body))
    if (!["url", "events", "topics"].includes(k)) throw new ApiError("invalid_request", `${k}: unknown field`, { field: k });
  if (typeof body.url !== "string") throw new ApiError("invalid_request", "url: required", { field: "url" });
  const check = checkOutboundUrl(body.url, { development: config(c.env).environment === "development" });
  if (!check.ok) throw new ApiError("invalid_request", `url: ${check.error}`, { field: "url" });
  const list = body.events ?? [];
  if (!Array.isArray(list) || list.length > 50 || !list.every((e) => typeof e === "string" && /^[a-z0-9_.*-]{1,100}$/.test(e))) {
    throw new ApiError("invalid_request", "events: an array of event types (e.g. run.succeeded, approval.*), at most 50", {
      field: "events",
    });
  }
  const topics = body.topics ?? [];
  if (!Array.isArray(topics) || !topics.every((t) => typeof t === "string" && isTopic(t))) {
    throw new ApiError("invalid_request", `topics: an array of topics, each ${TOPIC_LIST}`, { field: "topics" });
  }
  const webhook = { url: check.url.toString(), events: list as string[], topics: [...new Set(topics as Topic[])] };
  return c.json(await tenantStub(c.env, c.get("tenant")).putWebhook(webhook, c.get("actor")));
});

/** `?topic=a,b` as a list of topics (null when absent); an unknown topic is a 400 naming `topic`. */
function topicFilter(c: Context<AppEnv>): Topic[] | null {
  const raw = c.req.query("topic");
  if (raw === undefined) return null;
  const names = raw.split(",").map((t) => t.trim());
  const unknown = names.find((t) => !isTopic(t));
  if (unknown !== undefined) {
    throw new ApiError("invalid_request", `topic: ${JSON.stringify(unknown)} is not a topic; each must be ${TOPIC_LIST}`, {
      field: "topic",
    });
  }
  return [...new Set(names as Topic[])];
}

events.get("/events", requireTenant, async (c) => {
  const after = queryInt(c, "after", 0, Number.MAX_SAFE_INTEGER, 0);
  const limit = queryInt(c, "limit", 1, 100, 50);
  return c.json(await tenantStub(c.env, c.get("tenant")).listEvents(after, limit, topicFilter(c)));
});

// The tenant's object holds the stream; it is told the tenant the caller authenticated as (by
// header, or for browsers by a ticket from POST /v1/events/stream-ticket, whose MAC, stream and
// expiry are checked here), and gets only a validated cursor (`?after=`, or `Last-Event-ID` on an
// SSE reconnect) and topics.
events.get("/events/stream", async (c) => {
  const ticketed = !c.get("tenant");
  const caller = ticketed ? await ticketCaller(c) : { tenant: c.get("tenant"), nonce: null };
  const lastEventId = c.req.header("last-event-id");
  const after =
    c.req.query("after") === undefined && lastEventId !== undefined && /^\d{1,15}$/.test(lastEventId)
      ? Number(lastEventId)
      : queryInt(c, "after", 0, Number.MAX_SAFE_INTEGER, 0);
  const topics = topicFilter(c);
  const url = new URL(c.req.url);
  url.search = new URLSearchParams({ after: String(after), ...(topics ? { topic: topics.join(",") } : {}) }).toString();
  const headers = new Headers({ "x-edgecrew-tenant": caller.tenant });
  if (caller.nonce !== null) headers.set("x-edgecrew-ticket-nonce", caller.nonce);
  const upgrade = c.req.header("upgrade");
  if (upgrade) headers.set("upgrade", upgrade);
  const res = await tenantStub(c.env, caller.tenant).fetch(new Request(url, { headers }));
  // A ticket the tenant has already seen: a failed authentication like any other.
  if (ticketed && res.status === 401) recordFailure(c);
  return res;
});

/** The tenant and nonce of a valid `?ticket=` for the event stream; 401 (counted as a failure) otherwise. */
function ticketCaller(c: Context<AppEnv>): Promise<{ tenant: string; nonce: string }> {
  return limitFailures(c, async () => {
    const ticket = c.req.query("ticket");
    if (!ticket) throw new ApiError("unauthorized", "send Authorization: Bearer <key> or ?ticket= from POST /v1/events/stream-ticket");
    const verdict = await verifyTicket(await signingKey(c.env), ticket, EVENTS_STREAM, Date.now());
    if (!verdict.ok) throw new ApiError("unauthorized", verdict.reason);
    return { tenant: verdict.claims.tenant, nonce: verdict.claims.nonce };
  });
}

/** A single-use ticket (valid 60 s) that lets a browser open the event stream without a header. */
events.post("/events/stream-ticket", requireTenant, async (c) => {
  const key = await signingKey(c.env);
  const claims = newTicketClaims(EVENTS_STREAM, c.get("tenant"), Date.now());
  if (!(await tenantStub(c.env, c.get("tenant")).issueStreamTicket(claims.nonce, claims.expiresAt))) {
    throw new ApiError("not_found", "tenant not found");
  }
  return c.json({ ticket: await signTicket(key, claims), expires_at: new Date(claims.expiresAt).toISOString() }, 201);
});
