// follow()'s resume rules on connections scripted in memory: what a server never sends on purpose
// (a repeated event, a gap) and what it cannot help (a connection that keeps failing).

import { describe, expect, it } from "vitest";
import { type FollowConnector, follow } from "../../src/client/follow";
import { EdgecrewError, type RunEvent } from "../../src/client/index";

const event = (seq: number, type = "log"): RunEvent => ({
  seq,
  ts: new Date(0).toISOString(),
  type,
  level: "info",
  message: `event ${seq}`,
});

/** An SSE response carrying `events`, then ending (a dropped connection when none is final). */
function sse(events: RunEvent[]): Response {
  const body = events.map((e) => `id: ${e.seq}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`).join("");
  return new Response(body, { headers: { "content-type": "text/event-stream" } });
}

/** A connector whose n-th SSE connection answers `connections[n]`; the JSON log holds `log`. */
function connector(connections: ((after: number) => Response | Promise<Response>)[], log: RunEvent[] = []) {
  const opened: number[] = [];
  const c: FollowConnector = {
    WebSocket: undefined,
    async openSse(_runId, after) {
      opened.push(after);
      const next = connections[opened.length - 1];
      if (!next) throw new Error("no more connections scripted");
      return next(after);
    },
    webSocketUrl: () => Promise.reject(new Error("not used")),
    logs: async (_runId, after, limit) => ({ events: log.filter((e) => e.seq > after).slice(0, limit) }),
  };
  return { c, opened };
}

async function collect(events: AsyncIterable<RunEvent>) {
  const out: number[] = [];
  for await (const e of events) out.push(e.seq);
  return out;
}

describe("follow", () => {
  it("resumes after the last seq; a replayed event is yielded once", async () => {
    const { c, opened } = connector([() => sse([event(1), event(2)]), () => sse([event(2), event(3), event(4, "run.succeeded")])]);
    expect(await collect(follow(c, "run_1"))).toEqual([1, 2, 3, 4]);
    expect(opened).toEqual([0, 2]);
  });

  it("fills a gap from the JSON log before going on", async () => {
    const log = [1, 2, 3, 4, 5].map((n) => event(n));
    const { c } = connector([() => sse([event(1), event(4), event(5, "run.failed")])], log);
    expect(await collect(follow(c, "run_1"))).toEqual([1, 2, 3, 4, 5]);
  });

  it("ends when the stream closes after a final event, without opening another connection", async () => {
    const { c, opened } = connector([() => sse([event(7), event(8, "run.canceled")])]);
    expect(await collect(follow(c, "run_1", { after: 6 }))).toEqual([7, 8]);
    expect(opened).toEqual([6]);
  });

  it("a retried run's earlier final event does not end it: the events after it follow", async () => {
    const { c, opened } = connector([
      () => sse([event(1), event(2, "run.failed"), event(3, "run.queued")]),
      () => sse([event(4), event(5, "run.succeeded")]),
    ]);
    expect(await collect(follow(c, "run_1"))).toEqual([1, 2, 3, 4, 5]);
    expect(opened).toEqual([0, 3]);
  });

  it("a 204 (nothing after the cursor of a finished run) ends at once", async () => {
    const { c } = connector([() => new Response(null, { status: 204 })]);
    expect(await collect(follow(c, "run_1", { after: 12 }))).toEqual([]);
  });

  it("an API refusal is thrown at once, not retried", async () => {
    const refused = new EdgecrewError({ code: "not_found", message: "run not found", status: 404 });
    const { c, opened } = connector([() => Promise.reject(refused), () => sse([event(1, "run.succeeded")])]);
    await expect(collect(follow(c, "run_1"))).rejects.toBe(refused);
    expect(opened).toHaveLength(1);
  });

  it("gives up as unreachable after maxReconnects connections in a row bring nothing", async () => {
    const down = () => Promise.reject(new EdgecrewError({ code: "unreachable", message: "could not reach", status: 0 }));
    const reconnects: number[] = [];
    const { c, opened } = connector([() => sse([event(1)]), down, down, down]);
    const error = await collect(follow(c, "run_1", { maxReconnects: 2, onReconnect: (r) => reconnects.push(r.attempt) })).catch((e) => e);
    expect(error).toMatchObject({ code: "unreachable", status: 0 });
    expect(error.message).toMatch(/following run run_1 failed after 2 reconnects: could not reach/);
    expect(opened).toEqual([0, 1, 1, 1]);
    expect(reconnects).toEqual([0, 1, 2]);
  });
});
