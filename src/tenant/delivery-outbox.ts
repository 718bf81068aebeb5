// The tenant's side of webhook delivery: hands pending deliveries to the events queue (one flush
// at a time, so no delivery is sent twice by racing flushes) and lends each delivery to one queue
// message at a time, so a message the queue hands out twice cannot post it twice.

import { errorText, log } from "../ops/log";
import type { DeliveryTarget, WebhooksStore } from "./webhooks-store";

/** How long a delivery stays lent to one message without being settled (30 000 ms, beyond one delivery's 10 s limit). */
export const DELIVERY_CLAIM_MS = 30_000;

/** Deliveries per queue batch (the queue's limit is 100 messages). */
const BATCH = 100;

/** Wait before the alarm retries a failed hand-over (10 000 ms). */
const RETRY_MS = 10_000;

export class DeliveryOutbox {
  private draining = false;
  private current: Promise<void> = Promise.resolve();
  /** Delivery key → the message holding it and until when (epoch ms). In memory: one object, one writer. */
  private readonly claims = new Map<string, { holder: string; until: number }>();

  constructor(
    private readonly ctx: DurableObjectState,
    private readonly queue: () => Queue,
    private readonly webhooks: WebhooksStore,
    private readonly tenant: () => string | null,
  ) {}

  /**
   * Hands every pending delivery to the events queue. A call while a flush runs joins it (the
   * running flush reads the table again until nothing is left), so two flushes never read the same
   * unsent rows. A failed send leaves the rows unsent and sets the alarm to try again.
   */
  flush(): Promise<void> {
    if (this.draining) return this.current;
    this.draining = true;
    this.current = this.drain();
    return this.current;
  }

  private async drain(): Promise<void> {
    try {
      for (;;) {
        // Reading an empty table and clearing `draining` (finally) happen in one synchronous step.
        const unsent = this.webhooks.unsent(BATCH);
        if (unsent.length === 0) return;
        const tenant = this.tenant();
        if (!tenant) return;
        try {
          await this.queue().sendBatch(
            unsent.map((u) => ({ body: { tenant, event: u.event_id, target: u.target }, contentType: "json" as const })),
          );
        } catch (e) {
          log.error("webhook.enqueue_failed", "event delivery enqueue failed; retrying from the alarm", { tenant, error: errorText(e) });
          await this.ctx.storage.setAlarm(Date.now() + RETRY_MS);
          return;
        }
        this.webhooks.markEnqueued(unsent);
      }
    } finally {
      this.draining = false;
    }
  }

  /**
   * Lends a delivery to the queue message `holder` until it is settled or `DELIVERY_CLAIM_MS`
   * pass. False when another message holds it: that one posts and records the attempt.
   */
  claim(eventId: string, target: DeliveryTarget, holder: string, now: number): boolean {
    const key = `${eventId}/${target}`;
    const held = this.claims.get(key);
    if (held && held.holder !== holder && held.until > now) return false;
    if (this.claims.size > 1000) for (const [k, c] of this.claims) if (c.until <= now) this.claims.delete(k);
    this.claims.set(key, { holder, until: now + DELIVERY_CLAIM_MS });
    return true;
  }

  /** Ends `holder`'s claim on a delivery (its attempt is recorded). */
  release(eventId: string, target: DeliveryTarget, holder: string): void {
    const key = `${eventId}/${target}`;
    if (this.claims.get(key)?.holder === holder) this.claims.delete(key);
  }
}
