// GET /v1/events/stream: the tenant's live domain events over SSE and WebSocket, replayed after a
// cursor, then live, filtered by topic, never closed by the server, and only the tenant's own.

import { describe, expect, it } from "vitest";
import { api, createRun, json, newTenant, waitForRun } from "../helpers/api";
import { openSse, openWs } from "../helpers/event-stream";

const emit = (type: string, n: number) => `- ${type} !tool emit_event ${JSON.stringify({ type, data: { n } })}`;

/** A run that emits each type in turn; resolves when it succeeded, with its id. */
async function emitting(key: string, types: string[]): Promise<string> {
  const run = await createRun({ agent: "general", input: types.map((t, i) => emit(t, i)).join("\n") }, key);
  expect((await waitForRun(run.id, { key })).status).toBe("succeeded");
  return run.id;
}

const types = (events: any[]) => events.map((e) => e.type);
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
    const first = log.events[0].seq;

    const { status, client, contentType } = await openSse(`?after=${first}`, t.key);
    expect(status).toBe(200);
    expect(contentType).toBe("text/event-stream");
    await client!.until((e) => e.length >= 2);
    expect(types(client!.events)).toEqual(["lead.qualified", "run.succeeded"]);
    expect(client!.events[0]).toMatchObject({ seq: log.events[1].seq, topic: "domain.leads", data: { n: 1 } });

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
    const { client } = await openSse("", t.key, { "last-event-id": String(log.events[1].seq) });
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
    expect(types(bs!.events)).toEqual(["lead.qualified", "run.succeeded"]);
    expect(bs!.events.every((e) => e.run_id === bRun)).toBe(true);
    expect(as!.events.every((e) => e.run_id === aRun)).toBe(true);
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
    const { status, client } = await openWs(`?after=${log.events[0].seq}&topic=domain.orders,ai.completions`, t.key);
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
    expect(bs!.events.map((e) => [e.type, e.run_id])).toEqual([
      ["lead.qualified", bRun],
      ["run.succeeded", bRun],
    ]);
    await Promise.all([as!.close(), bs!.close()]);
    const refused = await openWs("?topic=nope", a.key);
    expect(refused.status).toBe(400);
    expect(refused.body.error.details.field).toBe("topic");
  });
});
