// The tenant's webhook subscription (PUT /v1/webhooks) and domain event log (GET /v1/events).

import { createRoute, z } from "@hono/zod-openapi";
import { config } from "../../deps";
import { ApiError } from "../../domain/errors";
import { checkOutboundUrl } from "../../domain/url-policy";
import { requireTenant, tenantStub } from "../auth";
import { BODY_ERRORS, errors, json, queryInt, TENANT_ERRORS, TENANT_SECURITY } from "../schemas/common";
import { EventPage, Webhook, WebhookBody } from "../schemas/operations";
import { jsonBody, router } from "../validation";

export const events = router();
const tags = ["Operations"];

const putWebhook = createRoute({
  method: "put",
  path: "/webhooks",
  operationId: "putWebhook",
  tags,
  security: TENANT_SECURITY,
  summary: "Set the webhook",
  description:
    "Domain events are delivered to this URL, signed with Standard Webhooks headers. Answers the signing secret, shown only here; setting the webhook again makes a new one.",
  middleware: [requireTenant, jsonBody],
  request: { body: { required: true, content: { "application/json": { schema: WebhookBody } } } },
  responses: { 200: json(Webhook, "The subscription and its signing secret"), ...errors(...BODY_ERRORS, ...TENANT_ERRORS) },
});

events.openapi(putWebhook, async (c) => {
  const body = c.req.valid("json");
  const check = checkOutboundUrl(body.url, { development: config(c.env).environment === "development" });
  if (!check.ok) throw new ApiError("invalid_request", `url: ${check.error}`, { field: "url" });
  return c.json(
    await tenantStub(c.env, c.get("tenant")).putWebhook({ url: check.url.toString(), events: body.events ?? [] }, c.get("actor")),
    200,
  );
});

const listEvents = createRoute({
  method: "get",
  path: "/events",
  operationId: "listEvents",
  tags,
  security: TENANT_SECURITY,
  summary: "Domain events",
  description: "The tenant's domain events in order, each with its webhook deliveries; pass `next_after` as `after` for the next page.",
  middleware: [requireTenant],
  request: {
    query: z.object({
      after: queryInt(0, Number.MAX_SAFE_INTEGER, 0, "Only events after this position"),
      limit: queryInt(1, 100, 50, "Page size"),
    }),
  },
  responses: { 200: json(EventPage, "A page of events"), ...errors("invalid_request", ...TENANT_ERRORS) },
});

events.openapi(listEvents, async (c) => {
  const { after, limit } = c.req.valid("query");
  return c.json((await tenantStub(c.env, c.get("tenant")).listEvents(after, limit)) as z.infer<typeof EventPage>, 200);
});
