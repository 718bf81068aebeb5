// GET /v1/events/stream: the tenant's live domain events over SSE and WebSocket, replayed after a
// cursor, then live, filtered by topic, never closed by the server, and only the tenant's own.

import { describe, expect, it } from "vitest";
import { api, createRun, json, newTenant, waitForRun } from "../helpers/api";
import { openSse, openWs } from "../helpers/event-stream";
import { openStream } from "../helpers/ws";

const emit = (type: string, n: number) => `- ${type} !tool emit_event ${JSON.stringify({ type, data: { n } })}`;

/** A run that emits each type in turn; resolves when it succeeded, with its id. */
async function emitting(key: string, types: string[]): Promise<string> {
  const run = await createRun({ agent: "general", input: types.map((t, i) => emit(t, i)).join("\n") }, key);
  expect((await waitForRun(run.id, { key })).status).toBe("succeeded");
  return run.id;
}

/** The events that are not audit entries (a new tenant's log starts with those of its creation and key). */
const domain = (events: any[]) => events.filter((e) => e.topic !== "audit.trail");
const types = (events: any[]) => domain(events).map((e) => e.type);

/** The ids of the audit events in the tenant's own log. */
async function ownAudit(key: string): Promise<string[]> {
  const log = await json(api("/v1/events?topic=audit.trail", { key }));
  return log.events.map((e: any) => e.id);
}
const has =
  (type: string, count = 1) =>
  (events: any[]) =>
    events.filter((e) => e.type === type).length >= count;

describe("the live event stream over SSE", () => {
  it("replays the events after the cursor, then delivers new ones live, and stays open", async () => {
    const t = await newTenant();
    await emitting(t.key, ["order.created", "lead.qualified"]);
    const log = await json(api("/v1/events", { key: t.key }));
    expect(types(log.events)).toEqual(["order.created", "lead.qualified", "run.succeeded"]);
    const first = domain(log.events)[0].seq;

    const { status, client, contentType } = await openSse(`?after=${first}`, t.key);
    expect(status).toBe(200);
    expect(contentType).toBe("text/event-stream");
    await client!.until((e) => e.length >= 2);
    expect(types(client!.events)).toEqual(["lead.qualified", "run.succeeded"]);
    expect(client!.events[0]).toMatchObject({ seq: domain(log.events)[1].seq, topic: "domain.leads", data: { n: 1 } });

    const second = await emitting(t.key, ["customer.updated"]);
    await client!.until(has("run.succeeded", 2));
    expect(types(client!.events)).toEqual(["lead.qualified", "run.succeeded", "customer.updated", "run.succeeded"]);
    expect(client!.events[2]).toMatchObject({ run_id: second, topic: "domain.customers" });
    const seqs = client!.events.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));

    // Nothing to send for a while: the server keeps the connection with comments, and does not close it.
    const keepAlives = () => client!.comments.filter((c) => c === "keep-alive").length;
    const deadline = Date.now() + 10_000;
    while (keepAlives() < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(keepAlives()).toBeGreaterThanOrEqual(2);
    await emitting(t.key, ["content.publish"]);
    await client!.until(has("content.publish"));
    await client!.close();
  });

  it("resumes from Last-Event-ID, as an EventSource does after a dropped connection", async () => {
    const t = await newTenant();
    await emitting(t.key, ["order.created", "order.paid"]);
    const log = await json(api("/v1/events", { key: t.key }));
    expect(types(log.events)).toEqual(["order.created", "order.paid", "run.succeeded"]);
    const { client } = await openSse("", t.key, { "last-event-id": String(domain(log.events)[1].seq) });
    await client!.until((e) => e.length >= 1);
    expect(types(client!.events)).toEqual(["run.succeeded"]);
    await client!.close();
  });

  it("?topic= keeps only those topics, replayed and live", async () => {
    const t = await newTenant();
    await emitting(t.key, ["order.created", "metric.revenue"]);
    const { client } = await openSse("?topic=domain.orders,analytics.metrics", t.key);
    await client!.until((e) => e.length >= 2);
    await emitting(t.key, ["lead.qualified", "order.paid"]);
    await client!.until(has("order.paid"));
    expect(types(client!.events)).toEqual(["order.created", "metric.revenue", "order.paid"]);
    expect(client!.events.map((e) => e.topic)).toEqual(["domain.orders", "analytics.metrics", "domain.orders"]);
    await client!.close();
  });

  it("another tenant's events never reach the stream", async () => {
    const a = await newTenant();
    const b = await newTenant();
    const { client: bs } = await openSse("", b.key);
    const { client: as } = await openSse("", a.key);
    const aRun = await emitting(a.key, ["order.created"]);
    await as!.until(has("run.succeeded"));
    const bRun = await emitting(b.key, ["lead.qualified"]);
    await bs!.until(has("run.succeeded"));
    // b's own: the audit entries of its creation, then its run's events; nothing of a's.
    expect(types(bs!.events)).toEqual(["lead.qualified", "run.succeeded"]);
    expect(domain(bs!.events).map((e) => e.run_id)).toEqual([bRun, bRun]);
    expect(bs!.events.filter((e) => e.topic === "audit.trail").map((e) => e.id)).toEqual(await ownAudit(b.key));
    expect(domain(as!.events).map((e) => e.run_id)).toEqual([aRun, aRun]);
    await Promise.all([as!.close(), bs!.close()]);
  });

  it("refuses an unknown topic (400 naming topic), a bad cursor, and a caller without a key", async () => {
    const unknown = await openSse("?topic=domain.nope", "ec_dev_key");
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toMatchObject({ code: "invalid_request", details: { field: "topic" } });
    const cursor = await openSse("?after=-1", "ec_dev_key");
    expect(cursor.status).toBe(400);
    expect(cursor.body.error.details.field).toBe("after");
    const anonymous = await openSse("", null);
    expect(anonymous.status).toBe(401);
  });
});

describe("the live event stream over WebSocket", () => {
  it("replays after the cursor, delivers live events of the chosen topics, answers ping, and stays open", async () => {
    const t = await newTenant();
    await emitting(t.key, ["order.created", "order.paid", "metric.revenue"]);
    const log = await json(api("/v1/events", { key: t.key }));
    expect(types(log.events)).toEqual(["order.created", "order.paid", "metric.revenue", "run.succeeded"]);
    const { status, client } = await openWs(`?after=${domain(log.events)[0].seq}&topic=domain.orders,ai.completions`, t.key);
    expect(status).toBe(101);
    await client!.until(has("run.succeeded"));
    expect(types(client!.events)).toEqual(["order.paid", "run.succeeded"]);

    await emitting(t.key, ["lead.qualified", "order.refunded"]);
    await client!.until(has("run.succeeded", 2));
    expect(types(client!.events)).toEqual(["order.paid", "run.succeeded", "order.refunded", "run.succeeded"]);

    client!.ws.send("ping");
    const deadline = Date.now() + 10_000;
    while (!client!.texts.includes("pong") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(client!.texts).toContain("pong");
    expect(client!.ws.readyState).toBe(WebSocket.OPEN);
    await client!.close();
  });

  it("another tenant's socket gets nothing of this tenant's events; an unknown topic is refused", async () => {
    const a = await newTenant();
    const b = await newTenant();
    const { client: bs } = await openWs("", b.key);
    const { client: as } = await openWs("", a.key);
    await emitting(a.key, ["order.created"]);
    await as!.until(has("run.succeeded"));
    const bRun = await emitting(b.key, ["lead.qualified"]);
    await bs!.until(has("run.succeeded"));
    expect(domain(bs!.events).map((e) => [e.type, e.run_id])).toEqual([
      ["lead.qualified", bRun],
      ["run.succeeded", bRun],
    ]);
    expect(bs!.events.filter((e) => e.topic === "audit.trail").map((e) => e.id)).toEqual(await ownAudit(b.key));
    await Promise.all([as!.close(), bs!.close()]);
    const refused = await openWs("?topic=nope", a.key);
    expect(refused.status).toBe(400);
    expect(refused.body.error.details.field).toBe("topic");
  });
});

describe("stream tickets for the event stream (browsers cannot set headers)", () => {
  /** A client address of its own per call: the failed-authentication limit is per client. */
  const client = () => {
    const [a, b] = crypto.getRandomValues(new Uint8Array(2));
    return { "cf-connecting-ip": `198.51.${a}.${b}` };
  };

  it("a ticket opens the tenant's stream once, over SSE or WebSocket, and shows only that tenant's events", async () => {
    const t = await newTenant();
    const run = await emitting(t.key, ["order.created"]);
    const issued = await api("/v1/events/stream-ticket", { method: "POST", key: t.key });
    expect(issued.status).toBe(201);
    const { ticket, expires_at } = await issued.json<any>();
    expect(ticket.startsWith(`tk.events.${t.id}.`)).toBe(true);
    expect(Date.parse(expires_at)).toBeLessThanOrEqual(Date.now() + 60_000);

    const q = `?ticket=${encodeURIComponent(ticket)}&topic=domain.orders`;
    const first = await openSse(q, null, client());
    expect(first.status).toBe(200);
    await first.client!.until((e) => e.length >= 1);
    expect(first.client!.events.map((e) => [e.type, e.run_id])).toEqual([["order.created", run]]);
    await first.client!.close();
    const again = await openSse(q, null, client());
    expect(again.status).toBe(401);
    expect(again.body.error.message).toMatch(/already used/);

    const wsTicket = (await json(api("/v1/events/stream-ticket", { method: "POST", key: t.key }))).ticket;
    const ws = await openWs(`?ticket=${encodeURIComponent(wsTicket)}`, null);
    expect(ws.status).toBe(101);
    await ws.client!.until(has("run.succeeded"));
    await ws.client!.close();
  });

  it("a run's ticket does not open the event stream, nor an event-stream ticket a run's stream; a forged one is 401", async () => {
    const t = await newTenant();
    const run = await createRun({ agent: "general", input: "one step" }, t.key);
    await waitForRun(run.id, { key: t.key });
    const runTicket = (await json(api(`/v1/runs/${run.id}/stream-ticket`, { method: "POST", key: t.key }))).ticket;
    const onEvents = await openSse(`?ticket=${encodeURIComponent(runTicket)}`, null, client());
    expect(onEvents.status).toBe(401);
    expect(onEvents.body.error.message).toBe("stream ticket is for another stream");

    const eventsTicket = (await json(api("/v1/events/stream-ticket", { method: "POST", key: t.key }))).ticket;
    const onRun = await openStream(run.id, { query: `?ticket=${encodeURIComponent(eventsTicket)}`, key: null, headers: client() });
    expect(onRun.status).toBe(401);

    const forged = `${eventsTicket.slice(0, -4)}0000`;
    expect((await openSse(`?ticket=${encodeURIComponent(forged)}`, null, client())).status).toBe(401);
    expect((await openSse("", null, client())).status).toBe(401);
  });
});
