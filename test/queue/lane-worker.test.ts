// One worker per isolate and lane, shared by the batches it runs: the heartbeat calls it makes as
// batches start and end, with a clock the test moves (the batches' own 1 s timers see the same
// clock, so they can only make the calls an explicit tick would).
import { describe, expect, it } from "vitest";
import type { Heartbeats } from "../../src/adapters/heartbeats/port";
import { LaneWorkers, REPORT_MS } from "../../src/queue/lane-worker";

function recorder(fail = false) {
  const calls: string[] = [];
  const beats: Heartbeats = {
    beat: async (id, lane, n, ttl) => {
      calls.push(`beat ${id} ${lane} ${n} ${ttl}`);
      if (fail) throw new Error("ops object down");
    },
    stop: async (id) => {
      calls.push(`stop ${id}`);
      if (fail) throw new Error("ops object down");
    },
    list: async () => [],
  };
  return { calls, beats };
}

const TTL = 60_000;

describe("lane workers", () => {
  it("overlapping batches on a lane share one worker: a beat when it starts working, a stop when the last batch leaves it idle", async () => {
    const { calls, beats } = recorder();
    let now = 1_000_000;
    const opts = { beats, ttlMs: TTL, now: () => now };
    const workers = new LaneWorkers();

    const a = workers.batch("normal", 2, opts);
    const id = a.worker;
    expect(id).toMatch(/^w-normal-/);
    const b = workers.batch("normal", 1, opts);
    expect(b.worker).toBe(id);
    expect(calls).toEqual([`beat ${id} normal 2 ${TTL}`]);

    // A run ends and batch a ends within REPORT_MS of the beat: no call, the count is reported later.
    a.runEnded();
    a.runEnded();
    now += REPORT_MS - 1;
    await a.end();
    expect(calls).toHaveLength(1);
    now += 1;
    b.tick();
    expect(calls[1]).toBe(`beat ${id} normal 1 ${TTL}`);
    b.tick();
    expect(calls).toHaveLength(2);

    b.runEnded();
    await b.end();
    expect(calls.slice(2)).toEqual([`stop ${id}`]);

    // The next batch finds the worker idle: it is listed again, under the same id.
    const c = workers.batch("normal", 1, opts);
    expect(c.worker).toBe(id);
    c.runEnded();
    await c.end();
    expect(calls.slice(3)).toEqual([`beat ${id} normal 1 ${TTL}`, `stop ${id}`]);
  });

  it("a busy worker whose count does not change still beats every third of the TTL, and lanes have workers of their own", async () => {
    const { calls, beats } = recorder();
    let now = 5_000_000;
    const opts = { beats, ttlMs: TTL, now: () => now };
    const workers = new LaneWorkers();
    const high = workers.batch("high", 1, opts);
    const low = workers.batch("low", 1, opts);
    expect(high.worker).not.toBe(low.worker);
    expect(calls).toEqual([`beat ${high.worker} high 1 ${TTL}`, `beat ${low.worker} low 1 ${TTL}`]);

    now += TTL / 3 - 1;
    high.tick();
    expect(calls).toHaveLength(2);
    now += 1;
    high.tick();
    expect(calls[2]).toBe(`beat ${high.worker} high 1 ${TTL}`);

    for (const w of [high, low]) {
      w.runEnded();
      await w.end();
    }
    expect(calls.slice(3)).toEqual([`stop ${high.worker}`, `stop ${low.worker}`]);
  });

  it("a batch that ends while others run reports the new count if the last beat is old enough", async () => {
    const { calls, beats } = recorder();
    let now = 9_000_000;
    const opts = { beats, ttlMs: TTL, now: () => now };
    const workers = new LaneWorkers();
    const a = workers.batch("normal", 1, opts);
    const b = workers.batch("normal", 3, opts);
    now += REPORT_MS;
    a.runEnded();
    await a.end();
    expect(calls).toEqual([`beat ${a.worker} normal 1 ${TTL}`, `beat ${a.worker} normal 3 ${TTL}`]);
    for (let i = 0; i < 3; i++) b.runEnded();
    await b.end();
    expect(calls[2]).toBe(`stop ${a.worker}`);
  });

  it("a heartbeat store that fails neither throws nor delays the batch's end beyond its calls", async () => {
    const { calls, beats } = recorder(true);
    const workers = new LaneWorkers();
    const a = workers.batch("normal", 1, { beats, ttlMs: TTL });
    a.runEnded();
    await expect(a.end()).resolves.toBeUndefined();
    expect(calls).toEqual([`beat ${a.worker} normal 1 ${TTL}`, `stop ${a.worker}`]);
  });
});
