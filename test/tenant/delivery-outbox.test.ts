// The tenant's delivery outbox on a real Durable Object's SQLite: racing flushes (run syncs, emitted
// events, the alarm) hand each delivery to the queue once; a delivery is lent to one message at a time.

import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { DELIVERY_CLAIM_MS, DeliveryOutbox } from "../../src/tenant/delivery-outbox";
import { WebhooksStore } from "../../src/tenant/webhooks-store";

/** A queue producer that records what it is sent and answers each send only when released. */
function gatedQueue() {
  const sent: { event: string; target: string }[][] = [];
  const waiting: (() => void)[] = [];
  const queue = {
    sendBatch: async (messages: Iterable<MessageSendRequest<{ event: string; target: string }>>) => {
      sent.push([...messages].map((m) => ({ event: m.body.event, target: m.body.target })));
      await new Promise<void>((resolve) => waiting.push(resolve));
    },
  } as unknown as Queue;
  const releaseAll = async () => {
    while (waiting.length > 0) {
      for (const r of waiting.splice(0)) r();
      await new Promise((r) => setTimeout(r, 0));
    }
  };
  return { queue, sent, releaseAll };
}

const freshObject = () => env.TENANTS.get(env.TENANTS.idFromName(`outbox-${crypto.randomUUID()}`));

describe("delivery outbox", () => {
  it("concurrent flushes hand each delivery to the events queue once", async () => {
    await runInDurableObject(freshObject(), async (_obj, state) => {
      const webhooks = new WebhooksStore(state.storage.sql);
      const q = gatedQueue();
      const outbox = new DeliveryOutbox(
        state,
        () => q.queue,
        webhooks,
        () => "t-outbox",
      );
      webhooks.addDelivery("evt_a", "tenant", "https://hooks.example.com/a");
      const first = outbox.flush();
      // Events written while the first send is in flight, each followed by its own flush.
      webhooks.addDelivery("evt_b", "tenant", "https://hooks.example.com/b");
      const second = outbox.flush();
      webhooks.addDelivery("evt_c", "run", "https://hooks.example.com/c");
      const third = outbox.flush();
      const released = q.releaseAll();
      await Promise.all([first, second, third, released]);
      const all = q.sent.flat().map((m) => `${m.event}/${m.target}`);
      expect(all.sort()).toEqual(["evt_a/tenant", "evt_b/tenant", "evt_c/run"]);
      expect(webhooks.unsent(10)).toEqual([]);
      // A later flush finds nothing left and sends nothing.
      await outbox.flush();
      expect(q.sent.flat()).toHaveLength(3);
      // Once a flush has found the table empty, a delivery added later is still handed over.
      webhooks.addDelivery("evt_d", "tenant", "https://hooks.example.com/d");
      const fourth = outbox.flush();
      await Promise.all([fourth, q.releaseAll()]);
      expect(q.sent.flat().map((m) => `${m.event}/${m.target}`)).toContain("evt_d/tenant");
      expect(webhooks.unsent(10)).toEqual([]);
    });
  });

  it("a failed hand-over keeps the deliveries unsent and sets the alarm", async () => {
    await runInDurableObject(freshObject(), async (_obj, state) => {
      const webhooks = new WebhooksStore(state.storage.sql);
      const broken = {
        sendBatch: async () => {
          throw new Error("queue unavailable");
        },
      } as unknown as Queue;
      const outbox = new DeliveryOutbox(
        state,
        () => broken,
        webhooks,
        () => "t-outbox",
      );
      webhooks.addDelivery("evt_a", "tenant", "https://hooks.example.com/a");
      await outbox.flush();
      expect(webhooks.unsent(10)).toEqual([{ event_id: "evt_a", target: "tenant" }]);
      expect(await state.storage.getAlarm()).not.toBeNull();
      await state.storage.deleteAlarm();
    });
  });

  it("lends a delivery to one message at a time until it is released or the claim lapses", async () => {
    await runInDurableObject(freshObject(), async (_obj, state) => {
      const outbox = new DeliveryOutbox(
        state,
        () => env.EVENTS,
        new WebhooksStore(state.storage.sql),
        () => "t-outbox",
      );
      const now = 1_000_000;
      expect(outbox.claim("evt_a", "tenant", "msg-1", now)).toBe(true);
      expect(outbox.claim("evt_a", "tenant", "msg-2", now)).toBe(false);
      expect(outbox.claim("evt_a", "run", "msg-2", now)).toBe(true);
      expect(outbox.claim("evt_a", "tenant", "msg-1", now + 1)).toBe(true);
      expect(outbox.claim("evt_a", "tenant", "msg-2", now + 1 + DELIVERY_CLAIM_MS)).toBe(true);
      outbox.release("evt_a", "tenant", "msg-1");
      expect(outbox.claim("evt_a", "tenant", "msg-3", now + 2)).toBe(false);
      outbox.release("evt_a", "tenant", "msg-2");
      expect(outbox.claim("evt_a", "tenant", "msg-3", now + 2)).toBe(true);
    });
  });
});
