// The events queue consumer: delivers one domain event to one webhook target per message, signed
// with Standard Webhooks headers; retried with backoff, the same webhook-id on every attempt.
// The URL is checked against the rules in force at each attempt; redirects are never followed.

import { config } from "../deps";
import { signedHeaders } from "../domain/signature";
import { checkOutboundUrl, type UrlRules } from "../domain/url-policy";
import { errorText, log } from "../ops/log";
import type { DeliveryAssignment, DeliveryTarget } from "../tenant/webhooks-store";

interface DeliveryMessage {
  tenant: string;
  event: string;
  target: DeliveryTarget;
}

/** How long one delivery may take before it counts as failed (10 s). */
export const DELIVERY_TIMEOUT_MS = 10_000;

/** Wait before a message whose delivery another message holds looks again (30 s). */
const BUSY_RETRY_S = 30;

/** The outcome of one delivery attempt; `refused` when the URL may not be called at all. */
export interface DeliveryOutcome {
  ok: boolean;
  status: number | null;
  error: string | null;
  refused: boolean;
}

function parse(body: unknown): DeliveryMessage | null {
  const b = body as Partial<DeliveryMessage> | null;
  if (!b || typeof b.tenant !== "string" || typeof b.event !== "string" || (b.target !== "tenant" && b.target !== "run")) return null;
  return { tenant: b.tenant, event: b.event, target: b.target };
}

export async function handleDeliveries(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  await Promise.all(
    batch.messages.map((msg) =>
      handleMessage(msg, env).catch((e: unknown) => {
        // Nothing was recorded (or the record failed): the queue hands the message out again.
        log.error("webhook.message_failed", "webhook delivery message failed; retried", { message_id: msg.id, error: errorText(e) });
        msg.retry();
      }),
    ),
  );
}

async function handleMessage(msg: Message<unknown>, env: Env): Promise<void> {
  const m = parse(msg.body);
  if (!m) {
    log.error("queue.malformed_message", "malformed events message dropped", { queue: "events", message_id: msg.id });
    msg.ack();
    return;
  }
  const cfg = config(env);
  const tenant = env.TENANTS.get(env.TENANTS.idFromName(m.tenant));
  const d = (await tenant.deliveryFor(m.event, m.target, msg.id)) as DeliveryAssignment;
  if (d.status === "done") {
    msg.ack();
    return;
  }
  if (d.status === "busy") {
    // Another copy of this message is posting it; look again once that attempt is settled.
    msg.retry({ delaySeconds: BUSY_RETRY_S });
    return;
  }
  const outcome = await deliver(d, m.event, { development: cfg.environment === "development" });
  const schedule = cfg.webhookRetryDelaysS;
  const final = outcome.refused || (!outcome.ok && d.attempts + 1 > schedule.length);
  await tenant.recordDelivery(m.event, m.target, msg.id, { ok: outcome.ok, status: outcome.status, error: outcome.error, final });
  if (!outcome.ok) {
    const fields = {
      tenant: m.tenant,
      event_id: m.event,
      target: m.target,
      host: hostOf(d.url),
      attempt: d.attempts + 1,
      http_status: outcome.status,
      error: outcome.error,
      final,
    };
    if (final) log.error("webhook.delivery_failed", "webhook delivery failed for good", fields);
    else log.warn("webhook.delivery_failed", "webhook delivery failed; retried", fields);
  }
  if (outcome.ok || final) msg.ack();
  else msg.retry({ delaySeconds: schedule[Math.min(d.attempts, schedule.length - 1)] ?? 60 });
}

/** The host a delivery goes to: its URL's path and query may carry the receiver's own tokens. */
function hostOf(url: string): string | null {
  return URL.canParse(url) ? new URL(url).host : null;
}

/**
 * POSTs one signed delivery of `body` (message id `eventId`) to `url`, if `rules` allow the URL
 * now (a URL saved under development rules is refused under production ones). Only a 2xx answer
 * counts as delivered; a 3xx is not followed. The answer's body is never read.
 */
export async function deliver(
  d: { url: string; body: string; secret: string },
  eventId: string,
  rules: UrlRules,
): Promise<DeliveryOutcome> {
  const target = checkOutboundUrl(d.url, rules);
  if (!target.ok) return { ok: false, status: null, error: `not delivered: ${target.error}`, refused: true };
  try {
    const headers = {
      "content-type": "application/json",
      "user-agent": "edgecrew-webhooks",
      ...(await signedHeaders(d.secret, eventId, d.body)),
    };
    const res = await fetch(target.url, {
      method: "POST",
      headers,
      body: d.body,
      redirect: "manual",
      signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
    });
    // Only the status counts: the answer is discarded unread, however large.
    await res.body
      ?.cancel()
      .catch((e: unknown) =>
        log.warn("webhook.answer_discard_failed", "discarding a webhook answer failed", { event_id: eventId, error: errorText(e) }),
      );
    const ok = res.status >= 200 && res.status < 300;
    const redirect = res.status >= 300 && res.status < 400 ? " (redirects are not followed)" : "";
    return { ok, status: res.status, error: ok ? null : `HTTP ${res.status}${redirect}`, refused: false };
  } catch (e) {
    return { ok: false, status: null, error: e instanceof Error ? e.name : "network error", refused: false };
  }
}
