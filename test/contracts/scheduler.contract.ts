// The Scheduler contract: one suite every scheduler adapter must pass (durable, qstash). Each
// fixture observes what reached the queue side; only vitest and src types here.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Scheduler } from "../../src/adapters/scheduler/port";

/** What a fixture saw of one key. */
export interface DeliveryObservation {
  /** How many times the delivery was handed to its queue. */
  times: number;
  /** When it was first sent (epoch ms), when the adapter can tell; else null. */
  firstSentAt: number | null;
}

/** What the contract needs for one test. */
export interface SchedulerFixture {
  scheduler: Scheduler;
  /** What has reached the queue for `key` so far. May make progress happen (e.g. hand on a delivery). */
  delivered(key: string): Promise<DeliveryObservation>;
  /** Called after each test. */
  cleanup?: () => Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A lane message naming a run that does not exist: the consumer drops it without side effects. */
function probeBody(): { run: string; tenant: string; gen: number } {
  const id = Array.from(crypto.getRandomValues(new Uint8Array(21)), (b) => "0123456789abcdefghijklmnopqrstuvwxyz"[b % 36]).join("");
  return { run: `run_${id}`, tenant: "scheduler-contract", gen: 1 };
}

/**
 * Runs the Scheduler contract against the adapter `make` builds (once per test). `slackMs` is how
 * late a delivery may arrive after its time (QStash works in whole seconds); default 3000.
 */
export function schedulerContract(name: string, make: () => Promise<SchedulerFixture>, slackMs = 3000): void {
  describe(`Scheduler contract: ${name}`, () => {
    let fx: SchedulerFixture;

    beforeEach(async () => {
      fx = await make();
    });

    afterEach(async () => {
      await fx.cleanup?.();
    });

    /** Polls until `key` was delivered at least once, failing after `withinMs`. */
    async function arrival(key: string, withinMs: number): Promise<DeliveryObservation> {
      const deadline = Date.now() + withinMs;
      for (;;) {
        const seen = await fx.delivered(key);
        if (seen.times > 0) return seen;
        if (Date.now() > deadline) throw new Error(`delivery ${key} did not arrive within ${withinMs} ms`);
        await sleep(100);
      }
    }

    it("a delivery scheduled 1.5 s ahead arrives once, not before its time", async () => {
      const key = `ahead-${crypto.randomUUID()}`;
      const at = Date.now() + 1500;
      await fx.scheduler.schedule({ key, at, queue: "RUNS_LOW", body: probeBody() });
      // Whatever was seen by a look that ended before `at` was delivered early.
      while (Date.now() < at - 100) {
        const seen = await fx.delivered(key);
        if (Date.now() < at) expect(seen.times).toBe(0);
        await sleep(100);
      }
      const first = await arrival(key, slackMs + 2000);
      if (first.firstSentAt !== null) expect(first.firstSentAt).toBeGreaterThanOrEqual(at);
      await sleep(1000);
      expect((await fx.delivered(key)).times).toBe(1);
    });

    it("the same key scheduled twice arrives once, and not again when scheduled after it arrived", async () => {
      const key = `twice-${crypto.randomUUID()}`;
      const at = Date.now() + 800;
      await fx.scheduler.schedule({ key, at, queue: "RUNS_LOW", body: probeBody() });
      await fx.scheduler.schedule({ key, at: at + 200, queue: "RUNS_LOW", body: probeBody() });
      await arrival(key, slackMs + 2000);
      await fx.scheduler.schedule({ key, at: Date.now(), queue: "RUNS_LOW", body: probeBody() });
      await sleep(1500);
      expect((await fx.delivered(key)).times).toBe(1);
    });

    it("two keys scheduled together both arrive, once each", async () => {
      const keys = [`pair-a-${crypto.randomUUID()}`, `pair-b-${crypto.randomUUID()}`];
      const at = Date.now() + 500;
      await Promise.all(keys.map((key, i) => fx.scheduler.schedule({ key, at: at + i * 200, queue: "RUNS_LOW", body: probeBody() })));
      for (const key of keys) await arrival(key, slackMs + 2000);
      await sleep(500);
      for (const key of keys) expect((await fx.delivered(key)).times).toBe(1);
    });

    it("a delivery whose time has passed arrives promptly", async () => {
      const key = `past-${crypto.randomUUID()}`;
      await fx.scheduler.schedule({ key, at: Date.now() - 60_000, queue: "RUNS_LOW", body: probeBody() });
      await arrival(key, slackMs + 2000);
      expect((await fx.delivered(key)).times).toBe(1);
    });
  });
}
