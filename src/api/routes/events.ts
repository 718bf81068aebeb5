// The tenant's webhook subscription (PUT /v1/webhooks), domain event log (GET /v1/events) and live
// event stream (GET /v1/events/stream, SSE or WebSocket, and its tickets).

import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { config } from "../../deps";
import { ApiError } from "../../domain/errors";
import { EVENTS_STREAM, newTicketClaims, signTicket, verifyTicket } from "../../domain/stream-ticket";
import { isTopic, TOPICS, type Topic } from "../../domain/topics";
import { checkOutboundUrl } from "../../domain/url-policy";
import type { AppEnv } from "../app-env";
import { requireTenant, tenantStub } from "../auth";
import { limitFailures, recordFailure } from "../auth-failures";
import { signingKey } from "../auth-settings";
import { BODY_ERRORS, errors, json, queryInt, TENANT_ERRORS, TENANT_SECURITY } from "../schemas/common";
import { EventPage, Webhook, WebhookBody } from "../schemas/operations";
import { StreamTicket } from "../schemas/runs";
import { jsonBody, router } from "../validation";

export const events = router();
const tags = ["Operations"];

const TOPIC_LIST = `one of ${TOPICS.join(", ")}`;

const putWebhook = createRoute({
  method: "put",
  path: "/webhooks",
  operationId: "putWebhook",
  tags,
  security: TENANT_SECURITY,
  summary: "Set the webhook",
  description:
    "Domain events whose type is in `events` or whose topic is in `topics` (both empty: every event) are delivered to this URL, signed with Standard Webhooks headers. Answers the signing secret, shown only here; setting the webhook again makes a new one.",
  middleware: [requireTenant, jsonBody],
  request: { body: { required: true, content: { "application/json": { schema: WebhookBody } } } },
  responses: { 200: json(Webhook, "The subscription and its signing secret"), ...errors(...BODY_ERRORS, ...TENANT_ERRORS) },
});

events.openapi(putWebhook, async (c) => {
  const body = c.req.valid("json");
  const check = checkOutboundUrl(body.url, { development: config(c.env).environment === "development" });
  if (!check.ok) throw new ApiError("invalid_request", `url: ${check.error}`, { field: "url" });
  const webhook = { url: check.url.toString(), events: body.events ?? [], topics: [...new Set(body.topics ?? [])] };
  const saved = await tenantStub(c.env, c.get("tenant")).putWebhook(webhook, c.get("actor"));
  return c.json(saved as z.infer<typeof Webhook>, 200);
});

/** The `topic` query parameter: comma-separated topics. */
const TopicQuery = z
  .string()
  .optional()
  .openapi({ description: `Only events of these topics, comma-separated; each ${TOPIC_LIST}` });

/** `?topic=a,b` as a list of topics (null when absent); an unknown topic is a 400 naming `topic`. */
function topicFilter(raw: string | undefined): Topic[] | null {
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

const listEvents = createRoute({
  method: "get",
  path: "/events",
  operationId: "listEvents",
  tags,
  security: TENANT_SECURITY,
  summary: "Domain events",
  description:
    "The tenant's domain events in order, each with its topic and webhook deliveries, optionally of some topics only; pass `next_after` as `after` for the next page.",
  middleware: [requireTenant],
  request: {
    query: z.object({
      after: queryInt(0, Number.MAX_SAFE_INTEGER, 0, "Only events after this position"),
      limit: queryInt(1, 100, 50, "Page size"),
      topic: TopicQuery,
    }),
  },
  responses: { 200: json(EventPage, "A page of events"), ...errors("invalid_request", ...TENANT_ERRORS) },
});

events.openapi(listEvents, async (c) => {
  const { after, limit, topic } = c.req.valid("query");
  const page = await tenantStub(c.env, c.get("tenant")).listEvents(after, limit, topicFilter(topic));
  return c.json(page as z.infer<typeof EventPage>, 200);
});

const streamRoute = createRoute({
  method: "get",
  path: "/events/stream",
  operationId: "streamEvents",
  tags,
  summary: "Follow the tenant's domain events live",
  description:
    "Replays the events after `after` (or `Last-Event-ID`), then sends each new one as it is committed, and never closes by itself. Server-Sent Events (`id: <seq>`, `event: <type>`, `data: <event>`, a `: keep-alive` comment every 15 s), or with `Upgrade: websocket` one event as JSON a message (a text `ping` is answered `pong`). Browsers authenticate with `?ticket=` from `POST /v1/events/stream-ticket`.",
  security: [...TENANT_SECURITY, { streamTicket: [] }],
  request: {
    query: z.object({
      after: queryInt(0, Number.MAX_SAFE_INTEGER, 0, "Replay the events after this seq"),
      topic: TopicQuery,
    }),
  },
  responses: {
    200: {
      description: "The live stream over SSE",
      content: { "text/event-stream": { schema: z.string().openapi({ description: "Server-sent events, one a domain event" }) } },
    },
    101: { description: "Switching to the WebSocket protocol" },
    ...errors("invalid_request", ...TENANT_ERRORS),
  },
});

// The tenant's object holds the stream; it is told the tenant the caller authenticated as (by
// header, or for browsers by a ticket whose MAC, stream and expiry are checked here), and gets only
// a validated cursor (`?after=`, or `Last-Event-ID` on an SSE reconnect) and topics.
events.openapi(streamRoute, async (c) => {
  const ticketed = !c.get("tenant");
  const caller = ticketed ? await ticketCaller(c) : { tenant: c.get("tenant"), nonce: null };
  const query = c.req.valid("query");
  const lastEventId = c.req.header("last-event-id");
  const after =
    c.req.query("after") === undefined && lastEventId !== undefined && /^\d{1,15}$/.test(lastEventId) ? Number(lastEventId) : query.after;
  const topics = topicFilter(query.topic);
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

const ticketRoute = createRoute({
  method: "post",
  path: "/events/stream-ticket",
  operationId: "createEventsStreamTicket",
  tags,
  summary: "A ticket to open the event stream without a header",
  description: "A single-use ticket, valid 60 s, for `GET /v1/events/stream?ticket=…` from a browser.",
  security: TENANT_SECURITY,
  middleware: [requireTenant],
  responses: { 201: json(StreamTicket, "The ticket"), ...errors("not_found", ...TENANT_ERRORS) },
});

events.openapi(ticketRoute, async (c) => {
  const key = await signingKey(c.env);
  const claims = newTicketClaims(EVENTS_STREAM, c.get("tenant"), Date.now());
  if (!(await tenantStub(c.env, c.get("tenant")).issueStreamTicket(claims.nonce, claims.expiresAt))) {
    throw new ApiError("not_found", "tenant not found");
  }
  return c.json({ ticket: await signTicket(key, claims), expires_at: new Date(claims.expiresAt).toISOString() }, 201);
});
