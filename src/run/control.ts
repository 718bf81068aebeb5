// The run's control transitions, from outside its execution: a crashed worker's lease, lease
// renewal, cancel, approval decisions and expiry, retry and redrive, dead-lettering, and the alarm.
// Like RunEngine, each writes the journal inside the caller's transaction and returns its effects.

import type { NewEvent } from "../domain/types";
import type { ApprovalStore } from "./approvals";
import type { Effects, EngineConfig, RunEngine } from "./engine";
import type { Journal, RunRow } from "./journal";
import type { ApprovalDecisionView, StepResume } from "./protocol";
import { isFinal } from "./state";

export class RunControl {
  constructor(
    private readonly e: RunEngine,
    private readonly j: Journal,
    private readonly cfg: EngineConfig,
    private readonly approvals: ApprovalStore,
  ) {}

  private get run(): RunRow {
    return this.e.run;
  }

  /** Releases the lease of a worker that hit an unexpected error, so a redelivery can claim. */
  abandon(token: string, reason: string, now: number): Effects {
    const run = this.run;
    if (run.lease_token !== token) return { events: [] };
    this.j.updateRun({ lease_token: null, lease_until: null, lease_worker: null });
    const step = this.j.steps().find((s) => s.status === "running");
    if (step) this.j.updateStep(step.idx, { status: "pending" });
    return {
      events: this.j.append([{ type: "log", level: "warn", message: `worker crashed: ${reason}`, data: { code: "worker_crash" } }], now),
    };
  }

  renew(token: string, now: number): boolean {
    const run = this.run;
    if (run.lease_token !== token) return false;
    this.j.updateRun({ lease_until: now + this.cfg.leaseMs });
    return true;
  }

  cancel(now: number): Effects {
    const closed: NewEvent[] = this.approvals.pending(this.run.id).map((a) => {
      this.approvals.decide(a.id, "rejected", "run canceled", undefined, now);
      return {
        type: "approval.decided",
        level: "info",
        message: `approval ${a.id} closed: run canceled`,
        data: { approval_id: a.id, decision: "reject", comment: "run canceled" },
      };
    });
    const ev = this.e.finish("canceled", now, "run canceled");
    const running = this.j.steps().filter((s) => s.status === "running");
    for (const s of running) this.j.updateStep(s.idx, { status: "pending" });
    return { events: this.j.append([...closed, ev], now), final: true };
  }

  /**
   * Records a person's decision (or an expiry) on a pending approval and resumes the run: the
   * waiting step gets the decision as its tool_result.
   */
  decide(id: string, status: "approved" | "rejected" | "expired", comment: string | null, input: unknown, now: number): Effects {
    const run = this.run;
    const a = this.approvals.get(run.id, id)!;
    this.approvals.decide(id, status, comment, input, now);
    const step = this.j.step(a.step);
    const resume = (step?.transcript as StepResume | null) ?? null;
    if (step && resume) {
      const decision: ApprovalDecisionView = {
        id,
        decision: status === "approved" ? "approved" : "rejected",
        comment,
        input: input ?? null,
      };
      this.j.updateStep(a.step, { transcript: { transcript: resume.transcript, decision } satisfies StepResume });
    }
    const gen = run.gen + 1;
    this.e.setStatus("queued", { gen });
    const ev: NewEvent = {
      type: "approval.decided",
      level: "info",
      message: `approval ${id} ${status === "expired" ? "expired" : status}`,
      data: {
        approval_id: id,
        step: a.step,
        tool: a.tool,
        decision: status === "approved" ? "approve" : "reject",
        status,
        comment,
        ...(input === undefined ? {} : { input }),
      },
    };
    return {
      events: this.j.append([ev, { type: "run.queued", level: "info", message: "resumed after the approval decision" }], now),
      dispatch: { gen, delayMs: 0 },
    };
  }

  /**
   * Puts a failed or dead run back in the queue as a new run attempt, resuming after its last
   * completed step: completed steps keep their results and are never run again.
   */
  retry(now: number): Effects {
    const run = this.run;
    const gen = run.gen + 1;
    for (const s of this.j.steps()) {
      if (s.status !== "completed") this.j.updateStep(s.idx, { status: "pending", attempts: 0, transcript: null, finished_at: null });
    }
    this.e.setStatus("queued", {
      attempts: run.attempts + 1,
      gen,
      error: null,
      finished_at: null,
      not_before: null,
      plan_attempts: run.plan ? run.plan_attempts : 0,
    });
    const ev: NewEvent = {
      type: "run.queued",
      level: "info",
      message: `retry: attempt ${run.attempts + 1} resumes after the last completed step`,
      data: { reason: "retry", attempt: run.attempts + 1, previous_status: run.status },
    };
    return { events: this.j.append([ev], now), dispatch: { gen, delayMs: 0 } };
  }

  /** Marks a non-final run dead (its message exhausted the queue's delivery retries). */
  markDead(reason: string, gen: number, now: number): Effects {
    const run = this.run;
    // A message from before a retry or re-dispatch says nothing about the run as it is now.
    if (isFinal(run.status) || gen < run.gen) return { events: [] };
    const error = { code: "worker_crash", message: reason, retryable: true };
    if (run.status === "awaiting_approval") return { events: [] };
    const ev = this.e.finish("dead", now, reason, { error }, { error });
    return { events: this.j.append([ev], now), final: true };
  }

  /** The alarm: expire runs never started and approvals not decided, re-dispatch lost runs. */
  onAlarm(now: number): Effects {
    const run = this.run;
    if (isFinal(run.status)) return { events: [] };
    if (run.status === "awaiting_approval") {
      const due = this.approvals.pending(run.id).find((a) => Date.parse(a.expires_at) <= now);
      if (due) return this.decide(due.id, "expired", "expired", undefined, now);
    }
    if (run.started_at === null && (run.status === "queued" || run.status === "scheduled") && now >= run.expires_at) {
      const ev = this.e.finish("expired", now, `not started within ${run.agent.ttl_seconds} s`);
      return { events: this.j.append([ev], now), final: true };
    }
    if (run.lease_token && run.lease_until !== null && run.lease_until <= now) {
      const gen = run.gen + 1;
      const step = this.j.steps().find((s) => s.status === "running");
      if (step) this.j.updateStep(step.idx, { status: "pending" });
      this.e.setStatus("queued", { lease_token: null, lease_until: null, lease_worker: null, gen });
      const ev: NewEvent = {
        type: "log",
        level: "warn",
        message: `lease of worker ${run.lease_worker} lapsed; run re-queued`,
        data: { code: "lease_expired", worker: run.lease_worker },
      };
      return {
        events: this.j.append([ev, { type: "run.queued", level: "info", message: "re-queued after a lost worker" }], now),
        dispatch: { gen, delayMs: 0 },
      };
    }
    if (run.wake_at !== null && run.wake_at <= now) {
      this.j.updateRun({ wake_at: null });
      return { events: [], dispatch: { gen: run.gen, delayMs: 0 } };
    }
    return { events: [] };
  }

  /** The next time the alarm must fire, or null. */
  nextAlarm(): number | null {
    const run = this.run;
    if (isFinal(run.status)) return null;
    const times: number[] = [];
    if (run.started_at === null && (run.status === "queued" || run.status === "scheduled")) times.push(run.expires_at);
    if (run.lease_token && run.lease_until !== null) times.push(run.lease_until);
    if (run.wake_at !== null) times.push(run.wake_at);
    if (run.status === "awaiting_approval") {
      const t = this.approvals.nextExpiry();
      if (t !== null) times.push(t);
    }
    return times.length > 0 ? Math.min(...times) : null;
  }
}
