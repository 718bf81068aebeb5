import { exports } from "cloudflare:workers";
import { EventSource } from "eventsource";
import { describe, expect, it } from "vitest";
import { replyCloseCode, Streams } from "../../src/run/stream";
import { allEvents, api, BASE, createRun, DEV_KEY, json, waitForRun } from "../helpers/api";
import { openStream, readSse } from "../helpers/ws";

const SLOW = "- gather !slow 300\n- draft !slow 300\n- finish !slow 300";
const isFinalType = (t: string) => /^run\.(succeeded|failed|canceled|expired|dead)$/.test(t);

function expectGapless(events: any[], from = 1) {
  expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + from));
}

describe("live streams", () => {
  it("a WebSocket client joining mid-run gets missed events, then live ones, then close 1000", async () => {
    const run = await createRun({ agent: "general", input: SLOW });
    await waitForRun(run.id, { until: (r) => r.steps.some((s: any) => s.status === "completed") });
    const { client } = await openStream(run.id);
    const closed = await client!.closed;
    expect(closed.code).toBe(1000);
    expectGapless(client!.messages);
    expect(client!.messages.filter((e) => isFinalType(e.type))).toHaveLength(1);
    expect(client!.messages.at(-1).type).toBe("run.succeeded");
    expect(client!.messages).toEqual(await allEvents(run.id));
  });

  it("100 WebSocket clients on one run all receive every event in order", async () => {
    const run = await createRun({ agent: "general", input: SLOW });
    const clients = await Promise.all(Array.from({ length: 100 }, () => openStream(run.id)));
    await Promise.all(clients.map((c) => c.client!.closed));
    const log = await allEvents(run.id);
    for (const c of clients) expect(c.client!.messages).toEqual(log);
  });

  it("?after=N replays only later events", async () => {
    const run = await createRun({ agent: "general", input: "one step" });
    await waitForRun(run.id);
    const { client } = await openStream(run.id, { query: "?after=4" });
    await client!.closed;
    expect(client!.messages[0].seq).toBe(5);
    expectGapless(client!.messages, 5);
  });

  it("SSE with Last-Event-ID: 3 receives events from 4 on and ends after the final event", async () => {
    const run = await createRun({ agent: "general", input: SLOW });
    const res = await api(`/v1/runs/${run.id}/logs`, { headers: { accept: "text/event-stream", "last-event-id": "3" } });
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const frames = await readSse(res);
    expect(frames[0]!.id).toBe(4);
    expect(frames.map((f) => f.id)).toEqual(frames.map((_, i) => i + 4));
    expect(frames.at(-1)!.event).toBe("run.succeeded");
    expect(frames.map((f) => f.data)).toEqual((await allEvents(run.id)).slice(3));
  });

  it("a stream ticket opens the stream once; reused or bogus tickets get 401", async () => {
    const run = await createRun({ agent: "general", input: "one step" });
    await waitForRun(run.id);
    const t = await json(api(`/v1/runs/${run.id}/stream-ticket`, { method: "POST" }));
    expect(typeof t.ticket).toBe("string");
    expect(Date.parse(t.expires_at)).toBeGreaterThan(Date.now());
    const first = await openStream(run.id, { query: `?ticket=${t.ticket}`, key: null });
    expect(first.status).toBe(101);
    await first.client!.closed;
    const again = await openStream(run.id, { query: `?ticket=${t.ticket}`, key: null });
    expect(again.status).toBe(401);
    expect(again.body.error.code).toBe("unauthorized");
    const bogus = await openStream(run.id, { query: "?ticket=tk_nope", key: null });
    expect(bogus.status).toBe(401);
  });

  it("a stream without credentials is refused", async () => {
    const run = await createRun({ agent: "general", input: "one step" });
    const res = await openStream(run.id, { key: null });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe("unauthorized");
  });

  it("SSE clients stop reconnecting after a finished run: a cursor at or past the final event gets 204 No Content", async () => {
    const run = await createRun({ agent: "general", input: "one step" });
    await waitForRun(run.id);
    const events = await allEvents(run.id);
    const last = events.at(-1).seq;
    const sse = (headers: Record<string, string>, query = "") =>
      api(`/v1/runs/${run.id}/logs${query}`, { headers: { accept: "text/event-stream", ...headers } });
    const atFinal = await sse({ "last-event-id": String(last) });
    expect(atFinal.status).toBe(204);
    expect(await atFinal.text()).toBe("");
    expect((await sse({}, `?after=${last + 5}`)).status).toBe(204);
    // A cursor before the final event still replays the rest, final event included.
    const before = await sse({ "last-event-id": String(last - 1) });
    expect(before.status).toBe(200);
    expect((await readSse(before)).map((f) => f.id)).toEqual([last]);
  });

  it("a real EventSource reading a finished run stops after one reconnect, which gets 204", async () => {
    const run = await createRun({ agent: "general", input: "one step" });
    await waitForRun(run.id);
    const statuses: number[] = [];
    const seen: string[] = [];
    const es = new EventSource(`${BASE}/v1/runs/${run.id}/logs`, {
      // The Worker under test, called in-process: the same request a browser would send.
      fetch: async (url, init) => {
        const res = await exports.default.fetch(
          new Request(url, { headers: { ...init.headers, authorization: `Bearer ${DEV_KEY}` }, signal: init.signal }),
        );
        statuses.push(res.status);
        return res;
      },
    });
    for (const type of ["run.created", "run.started", "run.succeeded"])
      es.addEventListener(type, (e) => seen.push(`${type}:${e.lastEventId}`));
    await new Promise<void>((resolve) => {
      es.addEventListener("error", () => {
        if (es.readyState === es.CLOSED) resolve();
      });
    });
    const events = await allEvents(run.id);
    expect(seen).toEqual([
      `run.created:1`,
      `run.started:${events.find((e) => e.type === "run.started").seq}`,
      `run.succeeded:${events.at(-1).seq}`,
    ]);
    expect(statuses).toEqual([200, 204]);
  });

  it("a client that closes its WebSocket gets the close answered with its own code", async () => {
    const run = await createRun({ agent: "general", input: "- wait !slow 1500" });
    const res = await exports.default.fetch(
      new Request(`${BASE}/v1/runs/${run.id}/stream`, { headers: { upgrade: "websocket", authorization: `Bearer ${DEV_KEY}` } }),
    );
    const ws = res.webSocket!;
    const closed = new Promise<{ code: number; reason: string }>((resolve) => {
      ws.addEventListener("close", (e) => resolve({ code: e.code, reason: e.reason }));
    });
    ws.accept();
    ws.close(4001, "client leaving");
    expect(await closed).toEqual({ code: 4001, reason: "client leaving" });
    await waitForRun(run.id);
  });

  it("the close reply never carries a reserved code (1005, 1006, 1015), and a dropped connection gets none", () => {
    expect([1000, 1001, 4001, 1005, 1006, 1015].map(replyCloseCode)).toEqual([1000, 1001, 4001, 1000, 1000, 1000]);
    const sent: [number, string][] = [];
    const socket = (readyState: number) =>
      ({ readyState, close: (code: number, reason: string) => sent.push([code, reason]) }) as unknown as WebSocket;
    const streams = new Streams({} as DurableObjectState);
    streams.onClose(socket(WebSocket.READY_STATE_CLOSING), 1005, "");
    streams.onClose(socket(WebSocket.READY_STATE_OPEN), 1006, "");
    streams.onClose(socket(WebSocket.READY_STATE_CLOSED), 1000, "done");
    streams.onClose(socket(WebSocket.READY_STATE_CLOSING), 1001, "going away");
    expect(sent).toEqual([
      [1000, ""],
      [1001, "going away"],
    ]);
  });
});
