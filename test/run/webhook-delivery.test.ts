// Webhook delivery as a receiver sees it: one POST per successful delivery whatever the queue
// does, attempts counted as made, no redirects followed, answers not read.

import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { deliver } from "../../src/queue/deliveries";
import type { DomainEvent } from "../../src/tenant/events-store";
import { api, json, newTenant } from "../helpers/api";
import { echoUrl, type ReceivedRequest, received } from "../helpers/echo";
import { eventually, scope, subscribe } from "../helpers/webhooks";

const tenantOf = (id: string) => env.TENANTS.get(env.TENANTS.idFromName(id));

/** Emits `n` events at once straight on the tenant object (as concurrent emit_event calls do). */
async function emitConcurrently(tenantId: string, n: number): Promise<string[]> {
  const stub = tenantOf(tenantId);
  const events = await Promise.all(
    Array.from({ length: n }, (_, i) => stub.emitEvent({ type: "order.flagged", run_id: null, agent: null, data: { i }, dedup: null })),
  );
  return events.map((e) => (e as DomainEvent).id);
}

/** The tenant's events once each has a delivery that is no longer pending. */
/**
 * The log's events once `count` are there and none is pending, without the audit trail's (not
 * subscribed); waits at most `ms` (a delivery retried goes back through the events queue each time).
 */
async function settledEvents(key: string, count: number, ms?: number): Promise<any[]> {
  const notAudit = (l: any): any[] => l.events.filter((e: any) => e.type !== "audit.recorded");
  const log = await eventually(
    () => json(api("/v1/events?limit=100", { key })),
    (l: any) => notAudit(l).length >= count && l.events.every((e: any) => e.deliveries.every((d: any) => d.status !== "pending")),
    ms,
  );
  return notAudit(log);
}

function byWebhookId(hooks: ReceivedRequest[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const h of hooks) counts.set(h.headers["webhook-id"]!, (counts.get(h.headers["webhook-id"]!) ?? 0) + 1);
  return counts;
}

describe("webhook delivery", () => {
  it("a webhook event is delivered once per success, with attempts counted truly, when events are emitted concurrently", async () => {
    const t = await newTenant(1000);
    const s = scope();
    await subscribe(t.key, s);
    const ids = await emitConcurrently(t.id, 20);
    const events = await settledEvents(t.key, ids.length);
    // Let any duplicate still in the queue arrive before counting.
    await new Promise((r) => setTimeout(r, 2000));
    const counts = byWebhookId(await received(s));
    expect([...counts.keys()].sort()).toEqual([...ids].sort());
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    for (const e of events) expect(e.deliveries).toEqual([expect.objectContaining({ status: "delivered", attempts: 1, last_status: 200 })]);
  });

  it("a webhook event is delivered once when the events queue hands out the same message several times", async () => {
    const t = await newTenant(1000);
    const s = scope();
    await subscribe(t.key, s);
    const [id] = await emitConcurrently(t.id, 1);
    // Queues deliver at least once: the same delivery message, four more times at once.
    await env.EVENTS.sendBatch(
      Array.from({ length: 4 }, () => ({ body: { tenant: t.id, event: id, target: "tenant" }, contentType: "json" as const })),
    );
    const [event] = await settledEvents(t.key, 1);
    await new Promise((r) => setTimeout(r, 2000));
    expect((await received(s)).map((h) => h.headers["webhook-id"])).toEqual([id]);
    expect(event.deliveries).toEqual([expect.objectContaining({ status: "delivered", attempts: 1 })]);
  });

  it("webhook deliveries never follow redirects: a 307 is a failed attempt and the other host gets nothing", async () => {
    const t = await newTenant(1000);
    const s = scope();
    const elsewhere = scope();
    const location = encodeURIComponent(`${echoUrl()}/echo/${elsewhere}/stolen`);
    await subscribe(t.key, s, undefined, `?status=307&location=${location}`);
    await emitConcurrently(t.id, 1);
    // Four attempts, each through the events queue (its batch timeout and the retry delay): about
    // 11 s on an idle machine, more under load, so the wait allows 40 s.
    const [event] = await settledEvents(t.key, 1, 40_000);
    // The test settings retry three times (1 s apart) after the first attempt.
    expect(event.deliveries).toEqual([
      expect.objectContaining({
        status: "failed",
        attempts: 4,
        last_status: 307,
        delivered_at: null,
        last_error: expect.stringContaining("307"),
      }),
    ]);
    expect(await received(elsewhere)).toEqual([]);
    expect((await received(s)).every((h) => h.verified)).toBe(true);
  }, 60_000);

  it("a webhook receiver answering 64 MiB is delivered without its answer being read", async () => {
    const t = await newTenant(1000);
    const s = scope();
    await subscribe(t.key, s, undefined, `?stream=${64 * 1024 * 1024}`);
    await emitConcurrently(t.id, 1);
    const [event] = await settledEvents(t.key, 1);
    expect(event.deliveries).toEqual([expect.objectContaining({ status: "delivered", attempts: 1, last_status: 200 })]);
    // Recorded as delivered while the echo server is still far from the end of its answer.
    const [hook] = await received(s);
    expect(hook?.answer?.complete).toBe(false);
    expect(hook?.answer?.bytes).toBeLessThan(64 * 1024 * 1024);
  });

  it("a webhook URL saved under development rules is not called under production rules", async () => {
    const s = scope();
    const outcome = await deliver({ url: `${echoUrl()}/hook/${s}/webhook`, body: "{}", secret: "whsec_c2VjcmV0" }, "evt_1", {
      development: false,
    });
    expect(outcome).toEqual({ ok: false, status: null, error: "not delivered: only https URLs are allowed, not http:", refused: true });
    const loopback = await deliver({ url: "https://127.0.0.1/hook", body: "{}", secret: "whsec_c2VjcmV0" }, "evt_1", {
      development: false,
    });
    expect(loopback).toMatchObject({ ok: false, refused: true, error: expect.stringContaining("loopback 127.0.0.0/8") });
    expect(await received(s)).toEqual([]);
  });
});
