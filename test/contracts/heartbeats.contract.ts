// The Heartbeats contract: one suite every heartbeats adapter must pass (durable, upstash).
// Only vitest and src types here, so it runs in Node and inside workerd alike.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Heartbeats } from "../../src/adapters/heartbeats/port";

/** What the contract needs for one test. */
export interface HeartbeatsFixture {
  /** An instance that sees no other test's workers. */
  heartbeats: Heartbeats;
  /** Called after each test. */
  cleanup?: () => Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs the Heartbeats contract against the adapter `make` builds (once per test). */
export function heartbeatsContract(name: string, make: () => Promise<HeartbeatsFixture>): void {
  describe(`Heartbeats contract: ${name}`, () => {
    let hb: Heartbeats;
    let fixture: HeartbeatsFixture;

    beforeEach(async () => {
      fixture = await make();
      hb = fixture.heartbeats;
    });

    afterEach(async () => {
      await fixture.cleanup?.();
    });

    it("no beats, no workers", async () => {
      expect(await hb.list()).toEqual([]);
    });

    it("a beat lists the worker with its lane, runs in flight and beat time", async () => {
      const before = Date.now();
      await hb.beat("w-1", "high", 3, 10_000);
      const workers = await hb.list();
      expect(workers).toHaveLength(1);
      expect(workers[0]).toMatchObject({ id: "w-1", lane: "high", runs_in_flight: 3 });
      const at = Date.parse(workers[0]?.last_beat_at ?? "");
      expect(at).toBeGreaterThanOrEqual(before - 1000);
      expect(at).toBeLessThanOrEqual(Date.now() + 1000);
    });

    it("a later beat replaces the earlier one", async () => {
      await hb.beat("w-1", "normal", 1, 10_000);
      await hb.beat("w-1", "normal", 4, 10_000);
      const workers = await hb.list();
      expect(workers.map((w) => [w.id, w.runs_in_flight])).toEqual([["w-1", 4]]);
    });

    it("stop forgets the worker and leaves the others", async () => {
      await hb.beat("w-1", "low", 0, 10_000);
      await hb.beat("w-2", "low", 2, 10_000);
      await hb.stop("w-1");
      expect((await hb.list()).map((w) => w.id)).toEqual(["w-2"]);
    });

    it("stopping an unknown worker is harmless", async () => {
      await hb.stop("never-seen");
      expect(await hb.list()).toEqual([]);
    });

    it("a worker is forgotten once its TTL has passed", async () => {
      await hb.beat("short", "normal", 1, 300);
      await hb.beat("long", "normal", 1, 10_000);
      await sleep(600);
      expect((await hb.list()).map((w) => w.id)).toEqual(["long"]);
    });

    it("a beat renews the TTL", async () => {
      // The first beat's TTL has surely passed once `ttl` has elapsed since its call returned; the
      // renewal's long TTL keeps the worker listed however slow the calls are.
      const ttl = 300;
      await hb.beat("w-1", "high", 1, ttl);
      const firstBeatDone = Date.now();
      await hb.beat("w-1", "high", 2, 10_000);
      await sleep(Math.max(0, firstBeatDone + ttl + 100 - Date.now()));
      expect((await hb.list()).map((w) => [w.id, w.runs_in_flight])).toEqual([["w-1", 2]]);
    });

    it("workers on several lanes are each listed once", async () => {
      await Promise.all([hb.beat("w-a", "high", 1, 10_000), hb.beat("w-b", "normal", 2, 10_000), hb.beat("w-c", "low", 0, 10_000)]);
      await hb.beat("w-a", "high", 5, 10_000);
      const workers = [...(await hb.list())].sort((x, y) => x.id.localeCompare(y.id));
      expect(workers.map((w) => [w.id, w.lane, w.runs_in_flight])).toEqual([
        ["w-a", "high", 5],
        ["w-b", "normal", 2],
        ["w-c", "low", 0],
      ]);
    });
  });
}
