import { describe, expect, it } from "vitest";
import { allEvents, api, createRun, json, waitForRun } from "../helpers/api";
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
});
