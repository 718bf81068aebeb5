// The tenant's webhook subscription (PUT /v1/webhooks) and domain event log (GET /v1/events).

import { Hono } from "hono";
import { config } from "../../deps";
import { ApiError } from "../../domain/errors";
import { checkOutboundUrl } from "../../domain/url-policy";
import type { AppEnv } from "../app-env";
import { requireTenant, tenantStub } from "../auth";
import { queryInt, readJsonObject } from "../http";

export const events = new Hono<AppEnv>();

events.put("/webhooks", requireTenant, async (c) => {
  const { body } = await readJsonObject(c);
  for (const k of Object.keys(body))
    if (!["url", "events"].includes(k)) throw new ApiError("invalid_request", `${k}: unknown field`, { field: k });
  if (typeof body.url !== "string") throw new ApiError("invalid_request", "url: required", { field: "url" });
  const check = checkOutboundUrl(body.url, { development: config(c.env).environment === "development" });
  if (!check.ok) throw new ApiError("invalid_request", `url: ${check.error}`, { field: "url" });
  const list = body.events ?? [];
  if (!Array.isArray(list) || list.length > 50 || !list.every((e) => typeof e === "string" && /^[a-z0-9_.*-]{1,100}$/.test(e))) {
    throw new ApiError("invalid_request", "events: an array of event types (e.g. run.succeeded, approval.*), at most 50", {
      field: "events",
    });
  }
  return c.json(
    await tenantStub(c.env, c.get("tenant")).putWebhook({ url: check.url.toString(), events: list as string[] }, c.get("actor")),
  );
});

events.get("/events", requireTenant, async (c) => {
  const after = queryInt(c, "after", 0, Number.MAX_SAFE_INTEGER, 0);
  const limit = queryInt(c, "limit", 1, 100, 50);
  return c.json(await tenantStub(c.env, c.get("tenant")).listEvents(after, limit));
});
