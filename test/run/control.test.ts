// Unit tests of the run's control transitions (RunControl) over a real SqlStorage with explicit
// clocks: cancel, approvals, retry, dead-lettering and every duty of the alarm.

import { describe, expect, it } from "vitest";
import type { CommitRequest } from "../../src/run/protocol";
import { CONFIG, EMPTY_REPORT, type Harness, initParams, T0, TENANT, typesAfter, withRun } from "./harness";

function claimed(h: Harness, now: number): string {
  const c = h.tx(() => h.engine.claim({ gen: h.journal.run()!.gen, worker: "w-test" }, now)).result;
  if (c.status !== "claimed") throw new Error(`expected a claim, got ${JSON.stringify(c)}`);
  return c.token;
}

/** Claims, plans two steps, and pauses step 1 for an approval that expires after `ttlS` seconds. */
function awaitingApproval(h: Harness, now: number): string {
  const token = claimed(h, now);
  const planned: CommitRequest = {
    kind: "plan",
    token,
    plan: [
      { title: "check", instructions: "check" },
      { title: "report", instructions: "report" },
    ],
    report: EMPTY_REPORT,
    handoff: false,
  };
  h.tx(() => h.engine.commit(planned, now));
  const wait: CommitRequest = {
    kind: "wait",
    token,
    index: 1,
    approval: { tool: "request_approval", input: { action: "check" }, reason: "check" },
    transcript: { messages: [] },
    report: EMPTY_REPORT,
  };
  h.tx(() => h.engine.commit(wait, now));
  const a = h.approvals.pending(h.journal.run()!.id)[0];
  if (!a) throw new Error("no pending approval");
  return a.id;
}

describe("cancel", () => {
  it("ends a running run with one final event, puts its step back and revokes the worker's lease", async () => {
    await withRun((h) => {
      const token = claimed(h, T0);
      const out = h.tx(() => h.control.cancel(TENANT, T0 + 5));
      expect(out.result).toBeNull();
      expect(out.effects).toMatchObject({ final: true, revoke: { token, reason: "run canceled" } });
      expect(h.journal.run()).toMatchObject({ status: "canceled", finished_at: T0 + 5, lease_token: null });
      expect(typesAfter(h).at(-1)).toBe("run.canceled");
      expect(h.tx(() => h.control.renew(token, T0 + 6)).result).toBe(false);
    });
  });

  it("a queued run has no worker to revoke; another tenant's run is not found; a final run is a conflict", async () => {
    await withRun((h) => {
      expect(h.tx(() => h.control.cancel("t-other", T0)).result).toEqual({ error: { code: "not_found", message: "run not found" } });
      const out = h.tx(() => h.control.cancel(TENANT, T0));
      expect(out.effects.revoke).toBeUndefined();
      const again = h.tx(() => h.control.cancel(TENANT, T0 + 1));
      expect(again.result).toEqual({ error: { code: "conflict", message: "run is already canceled" } });
      expect(again.effects.events).toEqual([]);
    });
  });

  it("closes a pending approval as rejected", async () => {
    await withRun((h) => {
      const id = awaitingApproval(h, T0);
      h.tx(() => h.control.cancel(TENANT, T0 + 1));
      expect(h.approvals.get(h.journal.run()!.id, id)).toMatchObject({ status: "rejected", comment: "run canceled" });
      expect(typesAfter(h).slice(-2)).toEqual(["approval.decided", "run.canceled"]);
    });
  });
});

describe("approvals", () => {
  it("approving resumes the run under a new gen with the decision in the step's transcript", async () => {
    await withRun((h) => {
      const id = awaitingApproval(h, T0);
      const out = h.tx(() => h.control.decide(TENANT, id, { decision: "approve", comment: "ok" }, T0 + 1));
      expect(out.result).toBeNull();
      expect(out.effects.dispatch).toEqual({ gen: 2, delayMs: 0 });
      expect(h.journal.run()!.status).toBe("queued");
      expect(h.journal.step(1)!.transcript).toMatchObject({ decision: { id, decision: "approved", comment: "ok" } });
      expect(h.tx(() => h.control.decide(TENANT, id, { decision: "reject", comment: null }, T0 + 2)).result).toEqual({
        error: { code: "conflict", message: "approval is already approved" },
      });
    });
  });

  it("an edited input that does not match the tool's schema is refused and changes nothing", async () => {
    await withRun((h) => {
      const id = awaitingApproval(h, T0);
      const out = h.tx(() => h.control.decide(TENANT, id, { decision: "approve", comment: null, input: { action: 7 } }, T0 + 1));
      expect(out.result).toMatchObject({ error: { code: "invalid_request" } });
      expect(h.journal.run()!.status).toBe("awaiting_approval");
      expect(h.tx(() => h.control.decide("t-other", id, { decision: "approve", comment: null }, T0 + 1)).result).toMatchObject({
        error: { code: "not_found" },
      });
    });
  });
});

describe("retry and dead-lettering", () => {
  it("a failed run goes back to queued as a new attempt; a running run cannot be retried", async () => {
    await withRun((h) => {
      const token = claimed(h, T0);
      expect(h.tx(() => h.control.retry(TENANT, T0)).result).toMatchObject({ error: { code: "conflict" } });
      h.tx(() =>
        h.engine.commit(
          { kind: "fail", token, index: 0, failure: { code: "invalid_plan", message: "no plan" }, report: EMPTY_REPORT },
          T0 + 1,
        ),
      );
      expect(h.journal.run()!.status).toBe("failed");
      const out = h.tx(() => h.control.retry(TENANT, T0 + 2));
      expect(out.result).toBeNull();
      expect(out.effects.dispatch).toEqual({ gen: 2, delayMs: 0 });
      expect(h.journal.run()).toMatchObject({ status: "queued", attempts: 2, error: null, finished_at: null });
    });
  });

  it("a dead-letter message marks the run dead unless it is of an older gen or the run waits for a person", async () => {
    await withRun((h) => {
      h.tx(() => {
        h.journal.updateRun({ gen: 2 });
        return { result: null, effects: { events: [] } };
      });
      expect(h.tx(() => h.control.markDead("lost", 1, T0)).effects.events).toEqual([]);
      const token = claimed(h, T0);
      const out = h.tx(() => h.control.markDead("lost", 2, T0 + 1));
      expect(out.effects).toMatchObject({ final: true, revoke: { token } });
      expect(h.journal.run()).toMatchObject({ status: "dead", error: { code: "worker_crash", message: "lost" } });
    });
    await withRun((h) => {
      awaitingApproval(h, T0);
      expect(h.tx(() => h.control.markDead("lost", h.journal.run()!.gen, T0 + 1)).effects.events).toEqual([]);
      expect(h.journal.run()!.status).toBe("awaiting_approval");
    });
  });
});

describe("alarms", () => {
  it("a run not started within its ttl expires; before that the alarm does nothing", async () => {
    await withRun(
      (h) => {
        expect(h.control.nextAlarm()).toBe(T0 + 60_000);
        expect(h.tx(() => h.control.onAlarm(T0 + 59_999)).effects.events).toEqual([]);
        const out = h.tx(() => h.control.onAlarm(T0 + 60_000));
        expect(out.effects.final).toBe(true);
        expect(h.journal.run()!.status).toBe("expired");
        expect(typesAfter(h)).toEqual(["run.created", "run.queued", "run.expired"]);
        expect(h.control.nextAlarm()).toBeNull();
      },
      initParams({}, { ttl_seconds: 60 }),
    );
  });

  it("a scheduled run expires ttl after its run_at", async () => {
    await withRun(
      (h) => {
        expect(h.journal.run()!.status).toBe("scheduled");
        expect(h.control.nextAlarm()).toBe(T0 + 3_600_000 + 60_000);
        h.tx(() => h.control.onAlarm(T0 + 3_660_000));
        expect(h.journal.run()!.status).toBe("expired");
      },
      initParams({ runAt: T0 + 3_600_000 }, { ttl_seconds: 60 }),
    );
  });

  it("an approval not decided by its expiry is expired and the run resumes", async () => {
    await withRun(
      (h) => {
        const id = awaitingApproval(h, T0);
        expect(h.control.nextAlarm()).toBe(T0 + 30_000);
        expect(h.tx(() => h.control.onAlarm(T0 + 29_999)).effects.events).toEqual([]);
        const out = h.tx(() => h.control.onAlarm(T0 + 30_000));
        expect(out.effects.dispatch).toEqual({ gen: 2, delayMs: 0 });
        expect(h.approvals.get(h.journal.run()!.id, id)).toMatchObject({ status: "expired", comment: "expired" });
        expect(h.journal.run()!.status).toBe("queued");
      },
      initParams({}, { approval_ttl_seconds: 30 }),
    );
  });

  it("a lapsed lease re-queues the run under a new gen and revokes the old worker", async () => {
    await withRun((h) => {
      const token = claimed(h, T0);
      expect(h.control.nextAlarm()).toBe(T0 + CONFIG.leaseMs);
      // A renewal moves the deadline; the alarm at the old one does nothing.
      h.tx(() => h.control.renew(token, T0 + 30_000));
      expect(h.tx(() => h.control.onAlarm(T0 + CONFIG.leaseMs)).effects.events).toEqual([]);
      const out = h.tx(() => h.control.onAlarm(T0 + 30_000 + CONFIG.leaseMs));
      expect(out.effects.dispatch).toEqual({ gen: 2, delayMs: 0 });
      expect(out.effects.revoke).toEqual({ token, reason: "lease lapsed" });
      expect(h.journal.run()).toMatchObject({ status: "queued", gen: 2, lease_token: null });
      expect(typesAfter(h).slice(-2)).toEqual(["log", "run.queued"]);
      expect(h.tx(() => h.engine.claim({ gen: 1, worker: "w-old" }, T0 + 100_000)).result).toEqual({
        status: "drop",
        reason: "stale message",
      });
    });
  });

  it("wake_at sends the run's message again with the same gen", async () => {
    await withRun((h) => {
      h.tx(() => {
        h.journal.updateRun({ wake_at: T0 + 5000 });
        return { result: null, effects: { events: [] } };
      });
      expect(h.control.nextAlarm()).toBe(T0 + 5000);
      expect(h.tx(() => h.control.onAlarm(T0 + 4999)).effects.dispatch).toBeUndefined();
      expect(h.tx(() => h.control.onAlarm(T0 + 5000)).effects.dispatch).toEqual({ gen: 1, delayMs: 0 });
      expect(h.journal.run()!.wake_at).toBeNull();
    });
  });

  it("wake_at lapses without a second message when this instance saw the message sent (a lane backlog)", async () => {
    await withRun((h) => {
      h.tx(() => {
        h.journal.updateRun({ wake_at: T0 + 5000 });
        return { result: null, effects: { events: [] } };
      });
      // Sent for gen 1 and still waiting in the lane: nothing is sent again, the standby is cleared.
      expect(h.tx(() => h.control.onAlarm(T0 + 5000, 1)).effects.dispatch).toBeUndefined();
      expect(h.journal.run()!.wake_at).toBeNull();
      expect(h.control.nextAlarm()).not.toBe(T0 + 5000);
      // A message sent for an older generation does not count for the current one.
      h.tx(() => {
        h.journal.updateRun({ wake_at: T0 + 6000 });
        return { result: null, effects: { events: [] } };
      });
      expect(h.tx(() => h.control.onAlarm(T0 + 6000, 0)).effects.dispatch).toEqual({ gen: 1, delayMs: 0 });
    });
  });
});
