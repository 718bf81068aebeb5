// Topics on the domain event log: each event carries one, GET /v1/events filters by them, webhook
// subscriptions take them beside event types, and deliveries carry the topic.

import { describe, expect, it } from "vitest";
import { api, createRun, json, newTenant, waitForRun } from "../helpers/api";
import { received } from "../helpers/echo";
import { eventually, scope, subscribe } from "../helpers/webhooks";

const emit = (type: string, data: unknown) => `- ${type} !tool emit_event ${JSON.stringify({ type, data })}`;

/** Runs one agent run that emits each type in turn and waits for it to succeed. */
async function emitAll(key: string, types: string[]): Promise<string> {
  const run = await createRun({ agent: "general", input: types.map((t, i) => emit(t, { n: i })).join("\n") }, key);
  expect((await waitForRun(run.id, { key })).status).toBe("succeeded");
  return run.id;
}

/** The tenant's event log once it holds an event of `type` (the run's own outcome arrives a moment later). */
async function log(key: string, query: string, type: string): Promise<any> {
  return eventually(
    () => json(api(`/v1/events${query}`, { key })),
    (l: any) => l.events.some((e: any) => e.type === type),
  );
}

describe("event topics", () => {
  it("every event in GET /v1/events has its topic; ?topic= keeps only those topics, in order", async () => {
    const t = await newTenant();
    await emitAll(t.key, ["order.refunded", "metric.revenue", "lead.qualified", "order.shipped"]);
    const all = await log(t.key, "", "run.succeeded");
    // A new tenant's log starts with the audit entries of its creation by the admin.
    const audit = all.events.filter((e: any) => e.type === "audit.recorded");
    expect(audit.length).toBeGreaterThan(0);
    expect(audit.every((e: any) => e.topic === "audit.trail")).toBe(true);
    expect(all.events.slice(audit.length).map((e: any) => [e.type, e.topic])).toEqual([
      ["order.refunded", "domain.orders"],
      ["metric.revenue", "analytics.metrics"],
      ["lead.qualified", "domain.leads"],
      ["order.shipped", "domain.orders"],
      ["run.succeeded", "ai.completions"],
    ]);
    const orders = await json(api("/v1/events?topic=domain.orders", { key: t.key }));
    expect(orders.events.map((e: any) => e.type)).toEqual(["order.refunded", "order.shipped"]);
    expect(orders.next_after).toBe(orders.events[1].seq);
    const two = await json(api("/v1/events?topic=analytics.metrics,ai.completions", { key: t.key }));
    expect(two.events.map((e: any) => e.type)).toEqual(["metric.revenue", "run.succeeded"]);
    const later = await json(api(`/v1/events?topic=domain.orders&after=${orders.events[0].seq}`, { key: t.key }));
    expect(later.events.map((e: any) => e.type)).toEqual(["order.shipped"]);
    const none = await json(api("/v1/events?topic=hitl.feedback", { key: t.key }));
    expect(none).toEqual({ events: [], next_after: 0 });
  });

  it("an unknown topic is a 400 naming topic", async () => {
    for (const q of ["topic=domain.nope", "topic=domain.orders,x", "topic="]) {
      const res = await api(`/v1/events?${q}`);
      expect(res.status, q).toBe(400);
      const body = await res.json<any>();
      expect(body.error).toMatchObject({ code: "invalid_request", details: { field: "topic" } });
    }
  });

  it("another tenant's events are not in its log, whatever the topic", async () => {
    const a = await newTenant();
    const b = await newTenant();
    await emitAll(a.key, ["order.refunded"]);
    await log(a.key, "?topic=domain.orders", "order.refunded");
    expect((await json(api("/v1/events?topic=domain.orders", { key: b.key }))).events).toEqual([]);
  });

  it("a webhook subscribed by topic gets only those events, each delivery carrying its topic", async () => {
    const t = await newTenant();
    const s = scope();
    const sub = await subscribe(t.key, s, ["lead.*"], "", ["domain.orders"]);
    expect(sub).toMatchObject({ events: ["lead.*"], topics: ["domain.orders"] });
    await emitAll(t.key, ["order.refunded", "metric.revenue", "lead.qualified"]);
    const hooks = await eventually(
      async () => (await received(s)).filter((r) => r.path.includes("/webhook")),
      (h) => h.length >= 2,
    );
    const bodies = hooks.map((h) => JSON.parse(h.body)).sort((x, y) => x.type.localeCompare(y.type));
    expect(bodies.map((b) => [b.type, b.topic])).toEqual([
      ["lead.qualified", "domain.leads"],
      ["order.refunded", "domain.orders"],
    ]);
    expect(hooks.every((h) => h.verified)).toBe(true);
    const events = await json(api("/v1/events", { key: t.key }));
    const metric = events.events.find((e: any) => e.type === "metric.revenue");
    expect(metric.deliveries).toEqual([]);
  });

  it("webhook topics are validated: a field-named 400 that changes nothing", async () => {
    const t = await newTenant();
    const s = scope();
    await subscribe(t.key, s, undefined, "", ["ai.errors"]);
    for (const topics of [["nope"], "domain.orders", [1], ["domain.orders", "domain"]]) {
      const res = await api("/v1/webhooks", { method: "PUT", key: t.key, json: { url: "http://127.0.0.1:9/x", topics } });
      expect(res.status, JSON.stringify(topics)).toBe(400);
      const error = (await res.json<any>()).error;
      expect(error.code).toBe("invalid_request");
      expect(error.details.field).toMatch(/^topics/);
    }
    // The subscription is still the earlier one: a failed run is delivered to it.
    await createRun({ agent: "general", input: "- break !fail-permanent" }, t.key);
    const hooks = await eventually(
      async () => (await received(s)).filter((r) => r.path.includes("/webhook")),
      (h) => h.length >= 1,
    );
    expect(JSON.parse(hooks[0]!.body)).toMatchObject({ type: "run.failed", topic: "ai.errors" });
  });
});
