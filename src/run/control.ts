// The run's control transitions, from outside its execution: creation, a crashed worker's lease,
// lease renewal, cancel, approval decisions and expiry, retry and redrive, dead-lettering, and the
// alarm. Like RunEngine, each writes the journal inside the caller's transaction and returns its
// result with the effects the Durable Object carries out afterwards.

import { toolSchema } from "../agent/tools";
import { schemaErrors } from "../agent/tools/validate";
import type { NewEvent } from "../domain/types";
import type { ApprovalStore } from "./approvals";
import type { Effects, EngineConfig, RunEngine, Transition } from "./engine";
import type { Journal, RunRow } from "./journal";
import type { ApprovalDecisionView, InitParams, RunRefusal, StepResume } from "./protocol";
import { type RetryCorrection, retryTransition } from "./retry-correction";
import { isFinal } from "./state";

const NONE: Effects = { events: [] };
const notFound = (what: string): RunRefusal<"not_found"> => ({ error: { code: "not_found", message: `${what} not found` } });

/** A person's decision on a pending approval (`POST /v1/approvals/:id`). */
export interface ApprovalDecision {
  decision: "approve" | "reject";
  comment: string | null;
  /** Replaces the tool input on approve; checked against the tool's schema. */
  input?: unknown;
}

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

  /** The run if it belongs to `tenantId` (another tenant's run does not exist for it). */
  private owned(tenantId: string): RunRow | null {
    const run = this.j.run();
    return run && run.tenant_id === tenantId ? run : null;
  }

  /** Creates the run, queued or scheduled, and dispatches it. A second call changes nothing. */
  init(p: InitParams): Transition<void> {
    if (this.j.run()) return { result: undefined, effects: NONE };
    const scheduled = p.runAt !== null && p.runAt > p.createdAt;
    this.j.insertRun({
      id: p.id,
      tenant_id: p.tenantId,
      agent: p.agent,
      status: scheduled ? "scheduled" : "queued",
      priority: p.priority,
      input: p.input,
      max_credits: p.maxCredits,
      metadata: p.metadata,
      webhook_url: p.webhookUrl,
      run_at: p.runAt,
      created_at: p.createdAt,
      expires_at: (p.runAt ?? p.createdAt) + p.agent.ttl_seconds * 1000,
      workspace: p.withFiles === true,
    });
    // The tenant indexed the run when it created it: version 1 is already known there.
    this.j.updateRun({ synced_version: 1 });
    const created: NewEvent = {
      type: "run.created",
      level: "info",
      message: `run of agent ${p.agent.name} created`,
      data: { agent: p.agent.name, priority: p.priority },
    };
    const next: NewEvent =
      scheduled && p.runAt !== null
        ? {
            type: "run.scheduled",
            level: "info",
            message: `scheduled for ${new Date(p.runAt).toISOString()}`,
            data: { run_at: new Date(p.runAt).toISOString() },
          }
        : { type: "run.queued", level: "info", message: `queued on the ${p.priority} lane`, data: { priority: p.priority } };
    const delayMs = scheduled && p.runAt !== null ? p.runAt - p.createdAt : 0;
    return { result: undefined, effects: { events: this.j.append([created, next], p.createdAt), dispatch: { gen: 1, delayMs } } };
  }

  /** Releases the lease of a worker that hit an unexpected error, so a redelivery can claim. */
  abandon(token: string, reason: string, now: number): Transition<void> {
    const run = this.run;
    if (run.lease_token !== token) return { result: undefined, effects: NONE };
    this.j.updateRun({ lease_token: null, lease_until: null, lease_worker: null });
    this.requeueRunningStep();
    const ev: NewEvent = { type: "log", level: "warn", message: `worker crashed: ${reason}`, data: { code: "worker_crash" } };
    return { result: undefined, effects: { events: this.j.append([ev], now) } };
  }

  /** Extends the lease of `token` by the lease time; false when the worker no longer holds it. */
  renew(token: string, now: number): Transition<boolean> {
    if (this.run.lease_token !== token) return { result: false, effects: NONE };
    this.j.updateRun({ lease_until: now + this.cfg.leaseMs });
    return { result: true, effects: NONE };
  }

  /** Cancels a non-final run: open approvals are closed, no further step starts, `run.canceled` is its last event. */
  cancel(tenantId: string, now: number): Transition<RunRefusal<"not_found" | "conflict"> | null> {
    const run = this.owned(tenantId);
    if (!run) return { result: notFound("run"), effects: NONE };
    if (isFinal(run.status)) return { result: { error: { code: "conflict", message: `run is already ${run.status}` } }, effects: NONE };
    const closed: NewEvent[] = this.approvals.pending(run.id).map((a) => {
      this.approvals.decide(a.id, "rejected", "run canceled", undefined, now);
      return {
        type: "approval.decided",
        level: "info",
        message: `approval ${a.id} closed: run canceled`,
        data: { approval_id: a.id, decision: "reject", comment: "run canceled" },
      };
    });
    const held = run.lease_token;
    const ev = this.e.finish("canceled", now, "run canceled");
    this.requeueRunningStep();
    const effects: Effects = { events: this.j.append([...closed, ev], now), final: true };
    // The worker executing a step is told to stop at once (its lease is gone either way).
    if (held !== null) effects.revoke = { token: held, reason: "run canceled" };
    return { result: null, effects };
  }

  /**
   * Records a person's decision on a pending approval and resumes the run: approve (optionally
   * with an edited input, validated against the tool's schema) or reject. Deciding twice is a conflict.
   */
  decide(
    tenantId: string,
    approvalId: string,
    d: ApprovalDecision,
    now: number,
  ): Transition<RunRefusal<"not_found" | "conflict" | "invalid_request"> | null> {
    const run = this.owned(tenantId);
    const a = run ? this.approvals.get(run.id, approvalId) : null;
    if (!run || !a) return { result: notFound("approval"), effects: NONE };
    if (a.status !== "pending" || run.status !== "awaiting_approval") {
      return { result: { error: { code: "conflict", message: `approval is already ${a.status}` } }, effects: NONE };
    }
    if (d.input !== undefined && d.decision === "approve") {
      const schema = toolSchema(run.agent, a.tool);
      const invalid = schema ? schemaErrors(schema, d.input) : null;
      if (invalid) {
        return {
          result: { error: { code: "invalid_request", message: `input: does not match the ${a.tool} schema: ${invalid}` } },
          effects: NONE,
        };
      }
    }
    const status = d.decision === "approve" ? "approved" : "rejected";
    return { result: null, effects: this.resume(approvalId, status, d.comment, d.decision === "approve" ? d.input : undefined, now) };
  }

  /**
   * Closes a pending approval (decided or expired) and queues the run again: the waiting step
   * gets the decision as its tool_result.
   */
  private resume(id: string, status: "approved" | "rejected" | "expired", comment: string | null, input: unknown, now: number): Effects {
    const run = this.run;
    const a = this.approvals.get(run.id, id);
    if (!a) throw new Error(`approval ${id} not found`);
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

  /** A failed or dead run back in the queue, with an optional correction: see retryTransition. */
  retry(
    tenantId: string,
    now: number,
    c: RetryCorrection = {},
  ): Transition<RunRefusal<"not_found" | "conflict" | "invalid_request"> | null> {
    const run = this.owned(tenantId);
    if (!run) return { result: notFound("run"), effects: NONE };
    return retryTransition(this.e, this.j, run, c, now);
  }

  /** Marks a non-final run dead (its message exhausted the queue's delivery retries). */
  markDead(reason: string, gen: number, now: number): Transition<void> {
    const run = this.j.run();
    // A message from before a retry or re-dispatch says nothing about the run as it is now; a
    // run awaiting approval has no message in flight.
    if (!run || isFinal(run.status) || gen < run.gen || run.status === "awaiting_approval") return { result: undefined, effects: NONE };
    const error = { code: "worker_crash", message: reason, retryable: true };
    const held = run.lease_token;
    const ev = this.e.finish("dead", now, reason, { error }, { error });
    const effects: Effects = { events: this.j.append([ev], now), final: true };
    if (held !== null) effects.revoke = { token: held, reason: "run is dead" };
    return { result: undefined, effects };
  }

  /**
   * The alarm: expire runs never started and approvals not decided, re-dispatch lost runs.
   * `sentGen` is the generation whose lane message this instance of the object saw sent (null
   * after a reset): its standby (`wake_at`) then lapses without a second message.
   */
  onAlarm(now: number, sentGen: number | null = null): Transition<void> {
    return { result: undefined, effects: this.alarmEffects(now, sentGen) };
  }

  private alarmEffects(now: number, sentGen: number | null): Effects {
    const run = this.run;
    if (isFinal(run.status)) return NONE;
    if (run.status === "awaiting_approval") {
      const due = this.approvals.pending(run.id).find((a) => Date.parse(a.expires_at) <= now);
      if (due) return this.resume(due.id, "expired", "expired", undefined, now);
    }
    if (run.started_at === null && (run.status === "queued" || run.status === "scheduled") && now >= run.expires_at) {
      const ev = this.e.finish("expired", now, `not started within ${run.agent.ttl_seconds} s`);
      return { events: this.j.append([ev], now), final: true };
    }
    if (run.lease_token && run.lease_until !== null && run.lease_until <= now) {
      const gen = run.gen + 1;
      this.requeueRunningStep();
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
        revoke: { token: run.lease_token, reason: "lease lapsed" },
      };
    }
    if (run.wake_at !== null && run.wake_at <= now) {
      this.j.updateRun({ wake_at: null });
      // Sent and not yet claimed (a lane backlog): the message is on its way, so no copy is sent.
      if (sentGen === run.gen) return NONE;
      return { events: [], dispatch: { gen: run.gen, delayMs: 0 } };
    }
    return NONE;
  }

  /** The step a worker was executing goes back to pending (its attempt stays counted). */
  private requeueRunningStep(): void {
    for (const s of this.j.steps()) if (s.status === "running") this.j.updateStep(s.idx, { status: "pending" });
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
