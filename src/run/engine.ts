// The run's execution transitions: claim and commit of each unit, retries and handoffs. Each
// method writes the journal (inside the caller's transaction) and returns the side effects the
// Durable Object must carry out afterwards (broadcast, dispatch, tenant sync). Transitions from
// outside the execution (cancel, approvals, retry, alarms) are in control.ts.

import { WORKSPACE_WRITING_TOOLS } from "../agent/tools";
import { type FailureCode, isTransient } from "../domain/errors";
import { randomSecret } from "../domain/ids";
import { addUsage, type FinalStatus, type NewEvent, type RunEvent, type RunStatus } from "../domain/types";
import type { ApprovalStore } from "./approvals";
import type { Journal, RunRow } from "./journal";
import type {
  ClaimRequest,
  ClaimResult,
  CommitRequest,
  CommitResult,
  PlanCommit,
  StepCommit,
  StepResume,
  UnitReport,
  WorkState,
  WorkUnit,
} from "./protocol";
import { decideRetry, type RetryConfig } from "./retry-policy";
import { canTransition, finalEventType, isFinal } from "./state";

/** A message may arrive this much before its not-before time and still be taken. */
const EARLY_TOLERANCE_MS = 250;

/** A tool call that may have put files in the run's workspace. */
const writesFiles = (e: NewEvent): boolean =>
  e.type === "tool.call" && WORKSPACE_WRITING_TOOLS.has(String((e.data as { tool?: unknown } | undefined)?.tool));

export interface EngineConfig {
  /** How long a claim lasts without a commit or renewal (ms). */
  leaseMs: number;
  retry: RetryConfig;
  /** The jitter source of retry delays, in [0, 1) (default Math.random). */
  random?: () => number;
}

/** What the Durable Object does after a transition commits. */
export interface Effects {
  /** Events appended, to broadcast to live streams. */
  events: RunEvent[];
  /** Send a lane message with this gen after `delayMs`. */
  dispatch?: { gen: number; delayMs: number };
  /** The run entered a final state. */
  final?: boolean;
  /** A lease was taken from its worker (cancel, dead, lapsed): tell that worker to stop its unit. */
  revoke?: { token: string; reason: string };
}

/** A transition's answer to its caller, with the effects to carry out once it has committed. */
export interface Transition<R> {
  result: R;
  effects: Effects;
}

export class RunEngine {
  constructor(
    private readonly j: Journal,
    private readonly cfg: EngineConfig,
    private readonly approvals: ApprovalStore,
  ) {}

  get run(): RunRow {
    const r = this.j.run();
    if (!r) throw new Error("run not initialised");
    return r;
  }

  /** Moves the run to `status`, bumping the version the tenant index syncs from. */
  setStatus(to: RunStatus, patch: Partial<RunRow> = {}): void {
    const from = this.run.status;
    if (from !== to && !canTransition(from, to)) throw new Error(`transition ${from} → ${to} is not allowed`);
    this.j.updateRun({ ...patch, status: to, version: this.run.version + 1 });
  }

  /** Ends the run in a final status with exactly one final event. */
  finish(status: FinalStatus, now: number, message: string, extra: Partial<RunRow> = {}, data?: unknown): NewEvent {
    this.setStatus(status, {
      ...extra,
      finished_at: now,
      lease_token: null,
      lease_until: null,
      lease_worker: null,
      not_before: null,
      wake_at: null,
    });
    return {
      type: finalEventType(status),
      level: status === "succeeded" ? "info" : status === "canceled" ? "warn" : "error",
      message,
      ...(data === undefined ? {} : { data }),
    };
  }

  /**
   * A worker claims the next unit. `unfollowed`: no stream follows the run, so the run's first
   * claim defers its page to the unit's commit (Journal.defer): one row fewer. Until then only
   * this instance knows the run started; an eviction in between forgets the claim, so the
   * worker's commit or renewal is refused as stale and the alarm standing by for the lane message
   * dispatches the run again. Nothing is lost, nothing committed twice: the unit is done again.
   */
  claim(req: ClaimRequest, now: number, unfollowed = false): Transition<ClaimResult> {
    const run = this.run;
    const none = { events: [] };
    if (isFinal(run.status)) return { result: { status: "drop", reason: `run is ${run.status}` }, effects: none };
    if (run.status === "awaiting_approval") return { result: { status: "drop", reason: "run awaits approval" }, effects: none };
    if (req.gen < run.gen) return { result: { status: "drop", reason: "stale message" }, effects: none };
    if (run.lease_token && run.lease_until !== null && run.lease_until > now) {
      return { result: { status: "drop", reason: "run is leased by another worker" }, effects: none };
    }
    if (run.started_at === null && now > run.expires_at) {
      const ev = this.finish("expired", now, `not started within ${run.agent.ttl_seconds} s`);
      return { result: { status: "drop", reason: "expired" }, effects: { events: this.j.append([ev], now), final: true } };
    }
    const notBefore = Math.max(run.not_before ?? 0, run.status === "scheduled" ? (run.run_at ?? 0) : 0);
    if (notBefore - EARLY_TOLERANCE_MS > now)
      return { result: { status: "later", delayMs: notBefore - now, priority: run.priority }, effects: none };

    const events: NewEvent[] = [];
    const token = randomSecret(12);
    // The run moves on: an error an earlier attempt left (one that was retried) no longer describes it.
    if (run.status !== "running") this.setStatus("running", { error: null });
    // The dispatched message arrived: the alarm no longer stands by to send it again (apply()).
    const lease = {
      lease_token: token,
      lease_until: now + this.cfg.leaseMs,
      lease_worker: req.worker,
      gen: req.gen,
      not_before: null,
      wake_at: null,
    };
    if (run.started_at === null) {
      events.push({ type: "run.started", level: "info", message: `run started on ${req.worker}`, data: { worker: req.worker } });
      this.j.updateRun({ ...lease, started_at: now });
    } else this.j.updateRun(lease);
    const started = this.startUnit(now, events);
    if (started.dead) {
      return { result: { status: "drop", reason: "attempts exhausted" }, effects: { events: this.j.append(events, now), final: true } };
    }
    if (unfollowed && run.started_at === null) this.j.defer();
    return { result: { status: "claimed", token, work: this.workState(started.unit) }, effects: { events: this.j.append(events, now) } };
  }

  /** Starts the next unit (plan or first unfinished step), counting its attempt. */
  private startUnit(now: number, events: NewEvent[]): { unit: WorkUnit; dead?: false } | { dead: true } {
    const run = this.run;
    if (!run.plan) {
      const attempt = run.plan_attempts + 1;
      if (attempt > this.cfg.retry.maxAttempts) {
        events.push(
          this.finish("dead", now, "planning failed on every attempt", {
            error: { code: "worker_crash", message: "the planner did not finish in any attempt", retryable: true },
          }),
        );
        return { dead: true };
      }
      this.j.updateRun({ plan_attempts: attempt });
      return { unit: { index: 0, title: "plan", instructions: "", attempt, failedCalls: 0, resume: null } };
    }
    const step = this.j.steps().find((s) => s.status !== "completed");
    if (!step) throw new Error("no step left to start");
    const resume = (step.transcript as StepResume | null) ?? null;
    // Resuming after an approval continues the same attempt; any other start is a new attempt.
    const attempt = resume ? Math.max(1, step.attempts) : step.attempts + 1;
    if (attempt > this.cfg.retry.maxAttempts) {
      const message = `step ${step.idx} did not finish in ${step.attempts} attempts`;
      events.push({ type: "step.failed", level: "error", message, data: { step: step.idx, attempts: step.attempts } });
      events.push(this.finish("dead", now, message, { error: { code: "worker_crash", message, retryable: true } }));
      return { dead: true };
    }
    this.j.updateStep(step.idx, { status: "running", attempts: attempt, started_at: step.started_at ?? now });
    events.push({
      type: "step.started",
      level: "info",
      message: `step ${step.idx}: ${step.title}`,
      data: { step: step.idx, title: step.title, attempt, ...(resume ? { resumed: true } : {}) },
    });
    return {
      unit: { index: step.idx, title: step.title, instructions: step.instructions, attempt, failedCalls: step.failed_calls, resume },
    };
  }

  private workState(unit: WorkUnit): WorkState {
    const run = this.run;
    // Before a plan exists there are no steps, except those a corrected retry kept for the planner.
    const completed = this.j
      .steps()
      .filter((s) => s.status === "completed")
      .map((s) => ({ index: s.idx, title: s.title, summary: s.summary ?? "" }));
    return {
      runId: run.id,
      tenantId: run.tenant_id,
      agent: run.agent,
      input: run.input,
      plan: run.plan,
      completed,
      unit,
      runAttempt: run.attempts,
      spent: run.spent,
      maxCredits: run.max_credits,
      feeCharged: run.fee_charged === 1,
      priority: run.priority,
    };
  }

  /** Applies what the unit did: its events, usage and charges. */
  private applyReport(index: number, report: UnitReport, events: NewEvent[]): void {
    const run = this.run;
    events.push(...report.events);
    if (run.workspace === false && report.events.some(writesFiles)) this.j.updateRun({ workspace: true });
    const amount = report.charges.reduce((s, c) => s + c.amount, 0);
    this.j.addCharges(report.charges);
    this.j.updateRun({
      usage: addUsage(run.usage, report.usage),
      spent: run.spent + amount,
      fee_charged: report.feeCharged ? 1 : run.fee_charged,
    });
    if (index > 0) {
      const step = this.j.step(index);
      if (step) this.j.updateStep(index, { usage: addUsage(step.usage, report.usage) });
    }
    if (amount > 0) {
      events.push({
        type: "credits.charged",
        level: "info",
        message: `${amount} credits charged`,
        data: { amount, spent: run.spent + amount, max_credits: run.max_credits, calls: report.charges.length },
      });
    }
  }

  commit(req: CommitRequest, now: number): Transition<CommitResult> {
    if (req.kind === "plan" && req.firstStep) return this.commitFolded(req, req.firstStep, now);
    const run = this.run;
    if (run.lease_token === null || run.lease_token !== req.token) {
      const reason = isFinal(run.status) ? `run is ${run.status}` : "stale lease: another attempt owns the run";
      return { result: { status: "rejected", reason }, effects: { events: [] } };
    }
    const index = req.kind === "plan" ? 0 : req.index;
    // The same commit sent twice (or one for a unit this lease is not running) writes nothing.
    const current = run.plan ? (this.j.steps().find((s) => s.status === "running")?.idx ?? -1) : 0;
    if (index !== current) {
      return { result: { status: "rejected", reason: `unit ${index} is not the one in progress` }, effects: { events: [] } };
    }
    const events: NewEvent[] = [];
    this.applyReport(index, req.report, events);
    switch (req.kind) {
      case "plan": {
        // Steps a corrected retry kept stay first; the new plan continues after them.
        const kept = this.j.steps().map((s) => ({ title: s.title, instructions: s.instructions }));
        const plan = [...kept, ...req.plan];
        this.j.updateRun({ plan });
        this.j.insertSteps(req.plan, kept.length);
        events.push({
          type: "plan.created",
          level: "info",
          message: `plan of ${plan.length} steps`,
          data: { steps: plan.map((s, i) => ({ index: i + 1, title: s.title })), ...(kept.length > 0 ? { kept: kept.length } : {}) },
        });
        return this.next(req.handoff, now, events);
      }
      case "step": {
        const steps = this.j.steps();
        this.j.updateStep(req.index, {
          status: "completed",
          summary: req.summary,
          output: req.output,
          transcript: null,
          run_attempt: run.attempts,
          finished_at: now,
        });
        events.push({
          type: "step.completed",
          level: "info",
          message: `step ${req.index} completed`,
          data: { step: req.index, summary: req.summary },
        });
        if (req.index >= steps.length) {
          events.push(
            this.finish("succeeded", now, "run succeeded", { output: { summary: req.summary, output: req.output }, error: null }),
          );
          return { result: { status: "done" }, effects: { events: this.j.append(events, now), final: true } };
        }
        return this.next(req.handoff, now, events);
      }
      case "wait": {
        this.j.updateStep(req.index, { transcript: { transcript: req.transcript, decision: null } satisfies StepResume });
        this.setStatus("awaiting_approval", { lease_token: null, lease_until: null, lease_worker: null });
        const a = this.approvals.create(
          run.id,
          {
            step: req.index,
            tool: req.approval.tool,
            input: req.approval.input,
            reason: req.approval.reason,
            expiresAt: now + run.agent.approval_ttl_seconds * 1000,
          },
          now,
        );
        events.push({
          type: "approval.requested",
          level: "info",
          message: `approval needed: ${a.reason}`,
          data: { approval_id: a.id, step: a.step, tool: a.tool, input: a.input, reason: a.reason, expires_at: a.expires_at },
        });
        return { result: { status: "done" }, effects: { events: this.j.append(events, now) } };
      }
      case "fail":
        return this.fail(req.index, req.failure, now, events);
    }
  }

  /**
   * A plan and its first step, executed under one lease and committed together: the plan is
   * applied, step 1 starts as it would after the plan's own commit, and the step's commit follows,
   * all in one transition. Only for step 1 of a plan with no kept steps (a first plan, without a
   * handoff); anything else is refused whole, so nothing of it is applied.
   */
  private commitFolded(plan: PlanCommit, first: StepCommit, now: number): Transition<CommitResult> {
    if (first.index !== 1 || plan.handoff || this.run.plan !== null || this.j.steps().length > 0) {
      return { result: { status: "rejected", reason: "only a first plan's step 1 is committed with it" }, effects: { events: [] } };
    }
    const { firstStep: _first, ...alone } = plan;
    const planned = this.commit(alone, now);
    if (planned.result.status !== "continue") return planned;
    const stepped = this.commit(first, now);
    return { result: stepped.result, effects: { ...stepped.effects, events: [...planned.effects.events, ...stepped.effects.events] } };
  }

  /** After a committed unit: continue under the same lease, or hand off to a new message. */
  private next(handoff: boolean, now: number, events: NewEvent[]): Transition<CommitResult> {
    if (handoff) {
      const gen = this.run.gen + 1;
      this.setStatus("queued", { lease_token: null, lease_until: null, lease_worker: null, gen });
      events.push({ type: "run.queued", level: "debug", message: "continued in a new invocation", data: { reason: "time budget spent" } });
      return { result: { status: "handoff" }, effects: { events: this.j.append(events, now), dispatch: { gen, delayMs: 0 } } };
    }
    this.j.updateRun({ lease_until: now + this.cfg.leaseMs });
    const started = this.startUnit(now, events);
    if (started.dead) return { result: { status: "dead" }, effects: { events: this.j.append(events, now), final: true } };
    return { result: { status: "continue", work: this.workState(started.unit) }, effects: { events: this.j.append(events, now) } };
  }

  private fail(
    index: number,
    failure: { code: FailureCode; message: string; retryAfterMs?: number },
    now: number,
    events: NewEvent[],
  ): Transition<CommitResult> {
    const run = this.run;
    const step = index > 0 ? this.j.step(index) : null;
    const attempt = step ? step.attempts : run.plan_attempts;
    const decision = decideRetry(failure.code, attempt, failure.retryAfterMs, this.cfg.retry, this.cfg.random);
    const where = index === 0 ? "the plan" : `step ${index}`;
    const error = { code: failure.code, message: failure.message, retryable: isTransient(failure.code) };
    if (decision.action === "retry") {
      if (step) this.j.updateStep(index, { failed_calls: step.failed_calls + 1, status: "pending" });
      // Same gen: this object sends the delayed message after the commit; if that is lost, the
      // original message (not yet acked) is redelivered and waits for not_before.
      const gen = run.gen;
      this.setStatus("queued", {
        lease_token: null,
        lease_until: null,
        lease_worker: null,
        not_before: now + decision.delayMs,
        error,
        retries: run.retries + 1,
      });
      events.push({
        type: "retry.scheduled",
        level: "warn",
        message: `${where} failed (${failure.code}); retry ${attempt + 1} in ${decision.delayMs} ms`,
        data: { step: index, attempt, next_attempt: attempt + 1, delay_ms: decision.delayMs, code: failure.code, reason: failure.message },
      });
      return {
        result: { status: "retry", delayMs: decision.delayMs },
        effects: { events: this.j.append(events, now), dispatch: { gen, delayMs: decision.delayMs } },
      };
    }
    if (step) this.j.updateStep(index, { status: "failed", finished_at: now });
    events.push({
      type: "step.failed",
      level: "error",
      message: `${where} failed: ${failure.message}`,
      data: { step: index, attempt, code: failure.code },
    });
    if (decision.action === "dead") {
      events.push(this.finish("dead", now, `retries exhausted: ${failure.message}`, { error }, { error }));
      return { result: { status: "dead" }, effects: { events: this.j.append(events, now), final: true } };
    }
    events.push(this.finish("failed", now, `run failed: ${failure.message}`, { error }, { error }));
    return { result: { status: "done" }, effects: { events: this.j.append(events, now), final: true } };
  }
}
