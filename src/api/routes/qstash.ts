// POST /internal/qstash/deliver: QStash hands back a scheduled delivery; once its signature
// (current or next key, URL, body hash, expiry) verifies and it is not a replay, its body is sent
// to the named queue. Anything else is 401 and nothing is enqueued. 404 when QStash is not set up.

import { Hono } from "hono";
import { sendToQueue } from "../../adapters/scheduler/deliver";
import { DELIVERABLE_QUEUES, isDeliverableQueue } from "../../adapters/scheduler/port";
import { qstashDeliverUrl } from "../../adapters/scheduler/qstash";
import { verifyQStashRequest } from "../../adapters/scheduler/qstash-receiver";
import { externalAdapters, qstashReplays } from "../../deps";
import { ApiError } from "../../domain/errors";
import { log } from "../../ops/log";
import type { AppEnv } from "../app-env";

export const qstash = new Hono<AppEnv>();

qstash.post("/deliver", async (c) => {
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
  return c.json({ ok: true, key: delivery.key, queue: delivery.queue });
});
