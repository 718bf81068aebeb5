// Unit tests of the run's execution transitions (RunEngine) over a real SqlStorage with explicit
// clocks: the transition table, claims and fencing, commits, and retry scheduling.

import { describe, expect, it } from "vitest";
import { firstStepWork, foldsFirstStep } from "../../src/agent/runner";
import { RUN_STATUSES, type RunStatus } from "../../src/domain/types";
import type { ClaimResult, CommitRequest, InitParams, PlanCommit, StepCommit, WorkState } from "../../src/run/protocol";
import { canTransition, isFinal } from "../../src/run/state";
import { CONFIG, EMPTY_REPORT, type Harness, initParams, T0, typesAfter, withRun } from "./harness";

/** The lifecycle: every move a run may make, and no other. */
const ALLOWED: Record<RunStatus, RunStatus[]> = {
  scheduled: ["queued", "running", "canceled", "expired", "dead"],
  queued: ["running", "canceled", "expired", "dead"],
  running: ["succeeded", "failed", "canceled", "dead", "awaiting_approval", "queued"],
  awaiting_approval: ["queued", "running", "canceled", "failed"],
  succeeded: [],
  failed: ["queued"],
  dead: ["queued"],
  canceled: [],
  expired: [],
};

function claim(h: Harness, now: number, gen = h.journal.run()!.gen): ClaimResult {
  return h.tx(() => h.engine.claim({ gen, worker: "w-test" }, now)).result;
}

function claimed(h: Harness, now: number): string {
  const c = claim(h, now);
  if (c.status !== "claimed") throw new Error(`expected a claim, got ${JSON.stringify(c)}`);
  return c.token;
}

const plan = (token: string): CommitRequest => ({
  kind: "plan",
  token,
  plan: [
    { title: "one", instructions: "one" },
    { title: "two", instructions: "two" },
  ],
  report: EMPTY_REPORT,
  handoff: false,
});
const step = (token: string, index: number): CommitRequest => ({
  kind: "step",
  token,
  index,
  summary: `done ${index}`,
  output: { index },
  report: EMPTY_REPORT,
  handoff: false,
});
const fail = (token: string, index: number, code: "model_overloaded" | "model_bad_request", retryAfterMs?: number): CommitRequest => ({
  kind: "fail",
  token,
  index,
  failure: { code, message: `${code} in a test`, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) },
  report: EMPTY_REPORT,
});

describe("run transition table", () => {
  it("allows exactly the lifecycle's moves between the nine statuses", () => {
    for (const from of RUN_STATUSES) {
      for (const to of RUN_STATUSES) expect(canTransition(from, to), `${from} → ${to}`).toBe(ALLOWED[from].includes(to));
    }
    expect(RUN_STATUSES.filter(isFinal)).toEqual(["succeeded", "failed", "canceled", "expired", "dead"]);
  });

  it("the engine refuses a move the table does not allow and writes nothing", async () => {
    await withRun((h) => {
      for (const from of RUN_STATUSES) {
        for (const to of RUN_STATUSES) {
          if (from === to) continue;
          h.tx(() => {
            h.journal.updateRun({ status: from });
            return { result: null, effects: { events: [] } };
          });
          const version = h.journal.run()!.version;
          const move = () => h.engine.setStatus(to);
          if (ALLOWED[from].includes(to)) {
            move();
            expect(h.journal.run()!.status).toBe(to);
            expect(h.journal.run()!.version).toBe(version + 1);
          } else {
            expect(move, `${from} → ${to}`).toThrow(`transition ${from} → ${to} is not allowed`);
            expect(h.journal.run()!.status).toBe(from);
          }
          h.journal.discard();
        }
      }
    });
  });
});

describe("claims and fencing", () => {
  it("a claim starts the run with a lease and the planner as its first unit", async () => {
    await withRun((h) => {
      const c = claim(h, T0 + 10);
      expect(c).toMatchObject({ status: "claimed", work: { unit: { index: 0, attempt: 1 } } });
      const run = h.journal.run()!;
      expect(run).toMatchObject({ status: "running", started_at: T0 + 10, lease_until: T0 + 10 + CONFIG.leaseMs, lease_worker: "w-test" });
      expect(typesAfter(h)).toEqual(["run.created", "run.queued", "run.started"]);
    });
  });

  it("a second worker cannot claim while the lease is live, and can once it lapsed", async () => {
    await withRun((h) => {
      claimed(h, T0);
      expect(claim(h, T0 + CONFIG.leaseMs - 1)).toEqual({ status: "drop", reason: "run is leased by another worker" });
      expect(claim(h, T0 + CONFIG.leaseMs).status).toBe("claimed");
    });
  });

  it("a message of an older gen is dropped", async () => {
    await withRun((h) => {
      h.tx(() => {
        h.journal.updateRun({ gen: 3 });
        return { result: null, effects: { events: [] } };
      });
      expect(claim(h, T0, 2)).toEqual({ status: "drop", reason: "stale message" });
      expect(h.journal.run()!.status).toBe("queued");
    });
  });

  it("a commit with a stale token is rejected and writes nothing", async () => {
    await withRun((h) => {
      const first = claimed(h, T0);
      const second = claimed(h, T0 + CONFIG.leaseMs);
      const before = h.journal.rowsWritten;
      const out = h.tx(() => h.engine.commit(plan(first), T0 + CONFIG.leaseMs + 1));
      expect(out.result).toEqual({ status: "rejected", reason: "stale lease: another attempt owns the run" });
      expect(out.effects.events).toEqual([]);
      expect(h.journal.rowsWritten).toBe(before);
      expect(h.journal.run()!.plan).toBeNull();
      expect(h.tx(() => h.engine.commit(plan(second), T0 + CONFIG.leaseMs + 2)).result.status).toBe("continue");
    });
  });

  it("the same commit twice is rejected the second time and writes nothing", async () => {
    await withRun((h) => {
      const token = claimed(h, T0);
      h.tx(() => h.engine.commit(plan(token), T0 + 1));
      const done = h.tx(() => h.engine.commit(step(token, 1), T0 + 2));
      expect(done.result.status).toBe("continue");
      const before = h.journal.rowsWritten;
      const again = h.tx(() => h.engine.commit(step(token, 1), T0 + 3));
      expect(again.result).toEqual({ status: "rejected", reason: "unit 1 is not the one in progress" });
      expect(h.journal.rowsWritten).toBe(before);
      expect(typesAfter(h).filter((t) => t === "step.completed")).toHaveLength(1);
    });
  });

  it("a commit for a unit not in progress is rejected", async () => {
    await withRun((h) => {
      const token = claimed(h, T0);
      h.tx(() => h.engine.commit(plan(token), T0 + 1));
      expect(h.tx(() => h.engine.commit(step(token, 2), T0 + 2)).result).toEqual({
        status: "rejected",
        reason: "unit 2 is not the one in progress",
      });
      expect(h.journal.step(2)!.status).toBe("pending");
    });
  });

  it("a commit after a final state is rejected with the run's status", async () => {
    await withRun((h) => {
      const token = claimed(h, T0);
      h.tx(() => h.control.cancel("t-unit", T0 + 1));
      expect(h.tx(() => h.engine.commit(plan(token), T0 + 2)).result).toEqual({ status: "rejected", reason: "run is canceled" });
    });
  });
});

describe("commits", () => {
  it("plan, then each step, then exactly one final event with the last step's output", async () => {
    await withRun((h) => {
      const token = claimed(h, T0);
      expect(h.tx(() => h.engine.commit(plan(token), T0 + 1)).result).toMatchObject({ status: "continue", work: { unit: { index: 1 } } });
      expect(h.tx(() => h.engine.commit(step(token, 1), T0 + 2)).result).toMatchObject({
        status: "continue",
        work: { unit: { index: 2 } },
      });
      const last = h.tx(() => h.engine.commit(step(token, 2), T0 + 3));
      expect(last.result).toEqual({ status: "done" });
      expect(last.effects.final).toBe(true);
      const run = h.journal.run()!;
      expect(run).toMatchObject({
        status: "succeeded",
        finished_at: T0 + 3,
        lease_token: null,
        output: { summary: "done 2", output: { index: 2 } },
      });
      expect(typesAfter(h).filter((t) => t.startsWith("run.") && isFinal(t.slice(4) as RunStatus))).toEqual(["run.succeeded"]);
    });
  });

  it("a handoff re-queues the run with a new gen and dispatches it at once", async () => {
    await withRun((h) => {
      const token = claimed(h, T0);
      const out = h.tx(() => h.engine.commit({ ...plan(token), handoff: true } as CommitRequest, T0 + 1));
      expect(out.result).toEqual({ status: "handoff" });
      expect(out.effects.dispatch).toEqual({ gen: 2, delayMs: 0 });
      expect(h.journal.run()).toMatchObject({ status: "queued", gen: 2, lease_token: null });
    });
  });

  it("a permanent failure fails the run at once with its error", async () => {
    await withRun((h) => {
      const token = claimed(h, T0);
      h.tx(() => h.engine.commit(plan(token), T0 + 1));
      const out = h.tx(() => h.engine.commit(fail(token, 1, "model_bad_request"), T0 + 2));
      expect(out.result).toEqual({ status: "done" });
      expect(h.journal.run()).toMatchObject({ status: "failed", error: { code: "model_bad_request", retryable: false } });
      expect(typesAfter(h).slice(-2)).toEqual(["step.failed", "run.failed"]);
    });
  });
});

describe("a plan committed with its first step", () => {
  const PLAN_REPORT = { ...EMPTY_REPORT, charges: [{ key: "plan-call", amount: 3 }], feeCharged: true };
  const planned = (token: string): PlanCommit => ({ ...(plan(token) as PlanCommit), report: PLAN_REPORT });

  /** The run after `commits` (each made with the claim's token), without what differs between two runs (the token). */
  async function afterCommits(init: InitParams, commits: (token: string) => CommitRequest[]) {
    return withRun((h) => {
      const c = claim(h, T0);
      if (c.status !== "claimed") throw new Error("no claim");
      const results = commits(c.token).map((req) => h.tx(() => h.engine.commit(req, T0 + 1)));
      const { lease_token: _token, ...run } = h.journal.run()!;
      return { claimed: c.work, results, run, steps: h.journal.steps(), events: h.journal.events(0, 1000) };
    }, init);
  }

  it("leaves the run, its steps and its log as the two commits do, with one journal page", async () => {
    const init = initParams();
    const apart = await afterCommits(init, (t) => [planned(t), step(t, 1)]);
    const folded = await afterCommits(init, (t) => [{ ...planned(t), firstStep: step(t, 1) as StepCommit }]);
    expect(folded.results).toHaveLength(1);
    expect(folded.results[0]!.result).toEqual(apart.results[1]!.result);
    expect(folded.results[0]!.effects.events).toEqual([...apart.results[0]!.effects.events, ...apart.results[1]!.effects.events]);
    // One journal page fewer: the run's own count of the rows it wrote says so.
    const { cost: foldedCost, ...foldedRun } = folded.run;
    const { cost: apartCost, ...apartRun } = apart.run;
    expect(foldedRun).toEqual(apartRun);
    expect(foldedCost!.run_rows).toBe(apartCost!.run_rows - 1);
    expect(folded.steps).toEqual(apart.steps);
    expect(folded.events).toEqual(apart.events);
    expect(folded.events.map((e) => e.type)).toContain("plan.created");
  });

  it("the worker executes step 1 with the work the run object gives after the plan's own commit", async () => {
    const apart = await afterCommits(initParams(), (t) => [planned(t)]);
    const given = apart.results[0]!.result;
    if (given.status !== "continue") throw new Error("expected continue");
    const req = planned("any");
    expect(firstStepWork(apart.claimed, req)).toEqual(given.work);
    expect(given.work).toMatchObject({ spent: 3, feeCharged: true, unit: { index: 1, attempt: 1 } });
  });

  it("folds only a first plan's first attempt, unwatched and within the time budget", () => {
    const work = (over: Partial<WorkState["unit"]> = {}, more: Partial<WorkState> = {}) =>
      ({ plan: null, completed: [], unit: { index: 0, attempt: 1, ...over }, ...more }) as WorkState;
    const req = planned("t");
    expect(foldsFirstStep(work(), req, false)).toBe(true);
    expect(foldsFirstStep(work(), req, true)).toBe(false);
    expect(foldsFirstStep(work(), { ...req, handoff: true }, false)).toBe(false);
    expect(foldsFirstStep(work({ attempt: 2 }), req, false)).toBe(false);
    expect(foldsFirstStep(work({}, { completed: [{ index: 1, title: "kept", summary: "" }] }), req, false)).toBe(false);
  });

  it("refuses a fold that is not step 1 of a first plan, whole", async () => {
    await withRun((h) => {
      const token = claimed(h, T0);
      const before = typesAfter(h);
      for (const req of [
        { ...planned(token), firstStep: step(token, 2) as StepCommit },
        { ...planned(token), handoff: true, firstStep: step(token, 1) as StepCommit },
      ]) {
        const out = h.tx(() => h.engine.commit(req, T0 + 1));
        expect(out.result).toEqual({ status: "rejected", reason: "only a first plan's step 1 is committed with it" });
        expect(h.journal.run()!.plan).toBeNull();
        expect(typesAfter(h)).toEqual(before);
      }
    });
  });

  it("a folded commit with another lease's token applies nothing", async () => {
    await withRun((h) => {
      claimed(h, T0);
      const out = h.tx(() => h.engine.commit({ ...planned("stale"), firstStep: step("stale", 1) as StepCommit }, T0 + 1));
      expect(out.result.status).toBe("rejected");
      expect(h.journal.run()!.plan).toBeNull();
      expect(h.journal.steps()).toEqual([]);
    });
  });
});

describe("retry scheduling", () => {
  it("a transient failure waits in queued until not_before, with the backoff delay and the same gen", async () => {
    await withRun((h) => {
      const token = claimed(h, T0);
      h.tx(() => h.engine.commit(plan(token), T0 + 1));
      // Attempt 1 of step 1: ceiling baseMs × 2^0 = 1000, jitter 0.5 → 500 ms.
      const out = h.tx(() => h.engine.commit(fail(token, 1, "model_overloaded"), T0 + 10));
      expect(out.result).toEqual({ status: "retry", delayMs: 500 });
      expect(out.effects.dispatch).toEqual({ gen: 1, delayMs: 500 });
      expect(h.journal.run()).toMatchObject({ status: "queued", not_before: T0 + 510, lease_token: null, retries: 1 });
      expect(h.journal.step(1)).toMatchObject({ status: "pending", failed_calls: 1 });
      // Delivered early: the claim says when to come back; on time, attempt 2 starts.
      expect(claim(h, T0 + 100)).toEqual({ status: "later", delayMs: 410, priority: "normal" });
      const again = claim(h, T0 + 510);
      expect(again).toMatchObject({ status: "claimed", work: { unit: { index: 1, attempt: 2, failedCalls: 1 } } });
    });
  });

  it("the delay doubles with each attempt, is capped, and honours retry-after", async () => {
    await withRun(
      (h) => {
        let token = claimed(h, T0);
        h.tx(() => h.engine.commit(plan(token), T0));
        const delays: number[] = [];
        let now = T0;
        for (let i = 0; i < 5; i++) {
          const out = h.tx(() => h.engine.commit(fail(token, 1, "model_overloaded", i === 4 ? 30_000 : undefined), now));
          if (out.result.status !== "retry") throw new Error(`expected a retry, got ${out.result.status}`);
          delays.push(out.result.delayMs);
          now = h.journal.run()!.not_before!;
          token = claimed(h, now);
        }
        // Ceilings 1000, 2000, 4000, then capped at 4000 (jitter 0.5); the last asked for 30 s.
        expect(delays).toEqual([500, 1000, 2000, 2000, 30_000]);
      },
      initParams(),
      { ...CONFIG, retry: { maxAttempts: 10, baseMs: 1000, maxMs: 4000 } },
    );
  });

  it("after maxAttempts the run is dead with the last error", async () => {
    await withRun((h) => {
      let token = claimed(h, T0);
      h.tx(() => h.engine.commit(plan(token), T0));
      let now = T0;
      for (let attempt = 1; attempt < CONFIG.retry.maxAttempts; attempt++) {
        expect(h.tx(() => h.engine.commit(fail(token, 1, "model_overloaded"), now)).result.status).toBe("retry");
        now = h.journal.run()!.not_before!;
        token = claimed(h, now);
      }
      const out = h.tx(() => h.engine.commit(fail(token, 1, "model_overloaded"), now));
      expect(out.result).toEqual({ status: "dead" });
      expect(out.effects.final).toBe(true);
      expect(h.journal.run()).toMatchObject({ status: "dead", error: { code: "model_overloaded", retryable: true }, retries: 2 });
      expect(typesAfter(h).filter((t) => t === "retry.scheduled")).toHaveLength(CONFIG.retry.maxAttempts - 1);
      expect(typesAfter(h).at(-1)).toBe("run.dead");
    });
  });

  it("a unit whose attempts are used up by crashes is dead at its next claim", async () => {
    await withRun((h) => {
      for (let i = 0; i < CONFIG.retry.maxAttempts; i++) {
        const token = claimed(h, T0 + i);
        h.tx(() => h.control.abandon(token, "crash", T0 + i));
      }
      expect(claim(h, T0 + 10)).toEqual({ status: "drop", reason: "attempts exhausted" });
      expect(h.journal.run()).toMatchObject({ status: "dead", error: { code: "worker_crash" } });
    });
  });

  it("the error of a retried attempt is cleared when the run moves on, and a success has none", async () => {
    await withRun((h) => {
      const token = claimed(h, T0);
      h.tx(() => h.engine.commit(plan(token), T0));
      h.tx(() => h.engine.commit(fail(token, 1, "model_overloaded"), T0));
      expect(h.journal.run()!.error).toMatchObject({ code: "model_overloaded" });
      const next = claimed(h, h.journal.run()!.not_before!);
      expect(h.journal.run()).toMatchObject({ status: "running", error: null });
      h.tx(() => h.engine.commit(step(next, 1), T0 + 2000));
      h.tx(() => h.engine.commit(step(next, 2), T0 + 2001));
      expect(h.journal.run()).toMatchObject({ status: "succeeded", error: null });
    });
  });
});
