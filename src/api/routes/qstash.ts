// POST /internal/qstash/deliver: QStash hands back a scheduled delivery; once its signature
// (current or next key, URL, body hash, expiry) verifies and it is not a replay, its body is sent
// to the named queue. Anything else is 401 and nothing is enqueued. 404 when QStash is not set up.

import { createRoute, z } from "@hono/zod-openapi";
import { sendToQueue } from "../../adapters/scheduler/deliver";
import { DELIVERABLE_QUEUES, isDeliverableQueue } from "../../adapters/scheduler/port";
import { qstashDeliverUrl } from "../../adapters/scheduler/qstash";
import { verifyQStashRequest } from "../../adapters/scheduler/qstash-receiver";
import { externalAdapters, qstashReplays } from "../../deps";
import { ApiError } from "../../domain/errors";
import { log } from "../../ops/log";
import { errors, json, NO_SECURITY } from "../schemas/common";
import { router } from "../validation";

export const qstash = router();

// The body is verified against its signature byte for byte, so it is described here but read raw
// by the handler rather than parsed by a validator.
const deliver = createRoute({
  method: "post",
  path: "/deliver",
  operationId: "deliverQStash",
  tags: ["System"],
  summary: "QStash delivery (internal)",
  description:
    "Called by QStash when a delayed delivery is due; authenticated by its `Upstash-Signature` (current or next signing key). 404 when QStash is not configured.",
  security: NO_SECURITY,
  request: {
    headers: z.object({ "Upstash-Signature": z.string().optional().openapi({ description: "QStash's signed JWT of the request" }) }),
    body: {
      content: {
        "application/json": {
          schema: {
            type: "object",
            description: "A delivery: the queue to send to, its message body, the due time and an idempotency key",
            properties: { queue: { type: "string" }, body: {}, at: { type: "number" }, key: { type: "string" } },
          },
        },
      },
    },
  },
  responses: {
    200: json(z.object({ ok: z.literal(true), key: z.string(), queue: z.string() }), "The delivery was sent to its queue"),
    ...errors("invalid_request", "unauthorized", "not_found", "unavailable"),
  },
});

qstash.openapi(deliver, async (c) => {
  const settings = externalAdapters(c.env);
  const q = settings.qstash;
  if (!q) {
    if (settings.errors.qstash) throw new ApiError("unavailable", `${settings.errors.qstash.problem}; fix: ${settings.errors.qstash.fix}`);
    throw new ApiError("not_found", "no such route");
  }
  const keys = { current: q.currentSigningKey, next: q.nextSigningKey };
  const verdict = await verifyQStashRequest(c.req.raw, keys, qstashDeliverUrl(q.publicUrl), qstashReplays(c.env));
  if (!verdict.ok) {
    log.warn("qstash.refused", "QStash delivery refused", { request_id: c.get("requestId"), reason: verdict.reason });
    throw new ApiError("unauthorized", `QStash delivery refused: ${verdict.reason}`);
  }
  const delivery = verdict.body;
  // QStash retries a non-2xx answer; a delivery naming no known queue is a bug to see in its DLQ.
  if (!isDeliverableQueue(delivery.queue))
    throw new ApiError("invalid_request", `unknown queue ${delivery.queue}; expected one of ${DELIVERABLE_QUEUES.join(", ")}`);
  // QStash delivers at the due time; should it come early, the queue's own delay covers the rest.
  await sendToQueue(c.env, delivery.queue, delivery.body, delivery.at);
  return c.json({ ok: true as const, key: delivery.key, queue: delivery.queue }, 200);
});
