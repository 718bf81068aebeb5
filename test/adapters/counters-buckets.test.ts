// The pure bucket rules of the queue counters: which bucket a run counts in, and counts from buckets.
import { describe, expect, expectTypeOf, it } from "vitest";
import { bucketOf, statsFromBuckets } from "../../src/adapters/counters/buckets";
import type { QueueStats as CounterStats } from "../../src/adapters/counters/port";
import type { QueueStats } from "../../src/tenant/protocol";

describe("queue counter buckets", () => {
  it("reads the counts in the shape the tenant object answers", () => {
    expectTypeOf<CounterStats>().toEqualTypeOf<QueueStats>();
  });

  it("puts each counted status in its bucket and leaves the other final states out", () => {
    expect(bucketOf("queued", "high", false)).toBe("high:queued");
    expect(bucketOf("queued", "low", true)).toBe("retrying");
    expect(bucketOf("running", "normal", false)).toBe("normal:running");
    expect(bucketOf("running", "normal", true)).toBe("normal:running");
    expect(bucketOf("awaiting_approval", "high", false)).toBe("awaiting_approval");
    expect(bucketOf("scheduled", "low", false)).toBe("scheduled");
    expect(bucketOf("dead", "normal", false)).toBe("dead");
    for (const s of ["succeeded", "failed", "canceled", "expired"] as const) expect(bucketOf(s, "normal", false)).toBeNull();
  });

  it("builds queue counts from stored fields (numbers or strings), absent and negative as zero", () => {
    expect(
      statsFromBuckets({
        "high:queued": "2",
        "normal:running": 1,
        "low:queued": "-1",
        awaiting_approval: "3",
        scheduled: 0,
        retrying: "1",
        dead: "4",
        unknown: "9",
      }),
    ).toEqual({
      lanes: { high: { queued: 2, running: 0 }, normal: { queued: 0, running: 1 }, low: { queued: 0, running: 0 } },
      awaiting_approval: 3,
      scheduled: 0,
      retrying: 1,
      dead: 4,
    });
    expect(statsFromBuckets({})).toEqual({
      lanes: { high: { queued: 0, running: 0 }, normal: { queued: 0, running: 0 }, low: { queued: 0, running: 0 } },
      awaiting_approval: 0,
      scheduled: 0,
      retrying: 0,
      dead: 0,
    });
  });
});
