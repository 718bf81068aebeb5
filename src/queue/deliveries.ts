// The events queue consumer: delivers one domain event to one webhook target per message, signed
// with Standard Webhooks headers; retried with backoff, the same webhook-id on every attempt.

import { config } from "../deps";
import { signedHeaders } from "../domain/signature";
import type { DeliveryTarget } from "../tenant/webhooks-store";

interface DeliveryMessage {
  tenant: string;
  event: string;
  target: DeliveryTarget;
}

/** How long one delivery may take before it counts as failed (10 s). */
export const DELIVERY_TIMEOUT_MS = 10_000;

function parse(body: unknown): DeliveryMessage | null {
  const b = body as Partial<DeliveryMessage> | null;
  if (!b || typeof b.tenant !== "string" || typeof b.event !== "string" || (b.target !== "tenant" && b.target !== "run")) return null;
  return { tenant: b.tenant, event: b.event, target: b.target };
}

export async function handleDeliveries(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const cfg = config(env);
  await Promise.all(
    batch.messages.map(async (msg) => {
      const m = parse(msg.body);
      if (!m) {
        console.error("malformed events message dropped", { id: msg.id });
        msg.ack();
        return;
      }
      const tenant = env.TENANTS.get(env.TENANTS.idFromName(m.tenant));
      const d = await tenant.deliveryFor(m.event, m.target);
      if (!d) {
        msg.ack();
        return;
      }
      const outcome = await post(d.url, d.body, d.secret, m.event);
      const schedule = cfg.webhookRetryDelaysS;
      const final = !outcome.ok && d.attempts + 1 > schedule.length;
      await tenant.recordDelivery(m.event, m.target, { ...outcome, final });
      if (outcome.ok || final) msg.ack();
      else msg.retry({ delaySeconds: schedule[Math.min(d.attempts, schedule.length - 1)] ?? 60 });
    }),
  );
}

async function post(
  url: string,
  body: string,
  secret: string,
  eventId: string,
): Promise<{ ok: boolean; status: number | null; error: string | null }> {
  try {
    const headers = {
      "content-type": "application/json",
      "user-agent": "edgecrew-webhooks",
      ...(await signedHeaders(secret, eventId, body)),
    };
    const res = await fetch(url, { method: "POST", headers, body, signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS) });
    // The body is not needed; read it so the connection is released.
    await res.arrayBuffer();
    return { ok: res.status >= 200 && res.status < 300, status: res.status, error: res.ok ? null : `HTTP ${res.status}` };
  } catch (e) {
    return { ok: false, status: null, error: e instanceof Error ? e.name : "network error" };
  }
}
