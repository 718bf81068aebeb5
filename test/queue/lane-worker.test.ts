// One worker per isolate and lane, shared by the batches it runs: the heartbeat calls it makes as
// batches start and end, with a clock the test moves (the batches' own 1 s timers see the same
// clock, so they can only make the calls an explicit tick would).
import { describe, expect, it } from "vitest";
import type { Heartbeats } from "../../src/adapters/heartbeats/port";
import { LaneWorkers, REPORT_MS, SHORT_TTL_MS } from "../../src/queue/lane-worker";

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

/** The lease: the long TTL. */
const LEASE = 60_000;

function setup(start: number) {
  const { calls, beats } = recorder();
  const clock = { now: start };
  const opts = { beats, ttlMs: LEASE, now: () => clock.now };
  return { calls, clock, opts, workers: new LaneWorkers() };
}

describe("lane workers", () => {
  it("overlapping batches on a lane share one worker and one beat; a changed count goes out at most a second late", async () => {
    const { calls, clock, opts, workers } = setup(1_000_000);
    const a = workers.batch("normal", 2, opts);
    const id = a.worker;
    expect(id).toMatch(/^w-normal-/);
    const b = workers.batch("normal", 1, opts);
    expect(b.worker).toBe(id);
    expect(calls).toEqual([`beat ${id} normal 2 ${SHORT_TTL_MS}`]);

    // Batch a ends within REPORT_MS of the beat: no call; the new count goes out with the next tick.
    a.runEnded();
    a.runEnded();
    clock.now += REPORT_MS - 1;
    await a.end();
    expect(calls).toHaveLength(1);
    clock.now += 1;
    b.tick();
    expect(calls[1]).toBe(`beat ${id} normal 1 ${SHORT_TTL_MS}`);
    b.tick();
    expect(calls).toHaveLength(2);

    // The last batch ends after short beats only: no stop, the listing runs out by itself.
    b.runEnded();
    await b.end();
    expect(calls).toHaveLength(2);
  });

  it("a stream of short batches, idle between them, beats about once a second and never stops", async () => {
    const { calls, clock, opts, workers } = setup(2_000_000);
    let id = "";
    for (let i = 0; i < 40; i++) {
      const batch = workers.batch("normal", 1, opts);
      id = batch.worker;
      clock.now += 40;
      batch.runEnded();
      await batch.end();
      clock.now += 10;
    }
    // 40 batches over 2 s: the first beat, then one when the count changed a second later, and so on.
    expect(calls.length).toBeGreaterThanOrEqual(2);
    expect(calls.length).toBeLessThanOrEqual(3);
    expect(calls.every((c) => c.startsWith(`beat ${id} normal 1 ${SHORT_TTL_MS}`))).toBe(true);

    // Idle past the short TTL: the next batch finds the listing expired and beats at once.
    clock.now += SHORT_TTL_MS;
    const next = workers.batch("normal", 1, opts);
    expect(calls.at(-1)).toBe(`beat ${id} normal 1 ${SHORT_TTL_MS}`);
    expect(calls.length).toBeLessThanOrEqual(4);
    next.runEnded();
    await next.end();
  });

  it("a long batch beats with the long TTL every third of it once it has run SHORT_TTL_MS, and stops when it ends", async () => {
    const { calls, clock, opts, workers } = setup(3_000_000);
    const long = workers.batch("high", 1, opts);
    const id = long.worker;
    const tickFor = (ms: number) => {
      for (let t = 0; t < ms; t += REPORT_MS) {
        clock.now += REPORT_MS;
        long.tick();
      }
    };
    tickFor(SHORT_TTL_MS - REPORT_MS);
    // Short beats every third of SHORT_TTL_MS while young: at 0 s, 2 s and 4 s.
    expect(calls).toEqual(Array(3).fill(`beat ${id} high 1 ${SHORT_TTL_MS}`));
    tickFor(2 * REPORT_MS);
    expect(calls.slice(3)).toEqual([`beat ${id} high 1 ${LEASE}`]);
    tickFor(LEASE / 3 - REPORT_MS);
    expect(calls).toHaveLength(4);
    tickFor(REPORT_MS);
    expect(calls.slice(4)).toEqual([`beat ${id} high 1 ${LEASE}`]);

    long.runEnded();
    await long.end();
    expect(calls.slice(5)).toEqual([`stop ${id}`]);
    // Stopped: the next batch is listed again at once.
    const next = workers.batch("high", 1, opts);
    expect(calls.slice(6)).toEqual([`beat ${id} high 1 ${SHORT_TTL_MS}`]);
    next.runEnded();
    await next.end();
  });

  it("lanes have workers of their own", async () => {
    const { calls, opts, workers } = setup(4_000_000);
    const high = workers.batch("high", 1, opts);
    const low = workers.batch("low", 1, opts);
    expect(high.worker).not.toBe(low.worker);
    expect(calls).toEqual([`beat ${high.worker} high 1 ${SHORT_TTL_MS}`, `beat ${low.worker} low 1 ${SHORT_TTL_MS}`]);
    for (const w of [high, low]) {
      w.runEnded();
      await w.end();
    }
  });

  it("a heartbeat store that fails neither throws nor delays the batch's end beyond its calls", async () => {
    const { calls, beats } = recorder(true);
    const workers = new LaneWorkers();
    let now = 5_000_000;
    const a = workers.batch("normal", 1, { beats, ttlMs: LEASE, now: () => now });
    now += SHORT_TTL_MS;
    a.tick();
    a.runEnded();
    await expect(a.end()).resolves.toBeUndefined();
    expect(calls).toEqual([`beat ${a.worker} normal 1 ${SHORT_TTL_MS}`, `beat ${a.worker} normal 1 ${LEASE}`, `stop ${a.worker}`]);
  });
});
