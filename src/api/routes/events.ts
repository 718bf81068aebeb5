// The tenant's webhook subscription (PUT /v1/webhooks), domain event log (GET /v1/events) and live
// event stream (GET /v1/events/stream, SSE or WebSocket).

import { type Context, Hono } from "hono";
import { config } from "../../deps";
import { ApiError } from "../../domain/errors";
import { isTopic, TOPICS, type Topic } from "../../domain/topics";
import { checkOutboundUrl } from "../../domain/url-policy";
import type { AppEnv } from "../app-env";
import { requireTenant, tenantStub } from "../auth";
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
  return c.json(await tenantStub(c.env, c.get("tenant")).putWebhook(webhook));
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

// The tenant's object holds the stream; it is told the tenant the caller authenticated as, and
// gets only a validated cursor (`?after=`, or `Last-Event-ID` on an SSE reconnect) and topics.
events.get("/events/stream", requireTenant, async (c) => {
  const lastEventId = c.req.header("last-event-id");
  const after =
    c.req.query("after") === undefined && lastEventId !== undefined && /^\d{1,15}$/.test(lastEventId)
      ? Number(lastEventId)
      : queryInt(c, "after", 0, Number.MAX_SAFE_INTEGER, 0);
  const topics = topicFilter(c);
  const url = new URL(c.req.url);
  url.search = new URLSearchParams({ after: String(after), ...(topics ? { topic: topics.join(",") } : {}) }).toString();
  const headers = new Headers({ "x-edgecrew-tenant": c.get("tenant") });
  const upgrade = c.req.header("upgrade");
  if (upgrade) headers.set("upgrade", upgrade);
  return tenantStub(c.env, c.get("tenant")).fetch(new Request(url, { headers }));
});
