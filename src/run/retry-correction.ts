// Retrying a failed or dead run with a person's correction (`POST /v1/runs/:id/retry {input?,
// from_step?}`): where it resumes and whether it replans, decided purely from its plan and step
// statuses, and the transition that applies it to the journal.

import type { NewEvent, PlanStep } from "../domain/types";
import type { RunEngine, Transition } from "./engine";
import type { Journal, RunRow } from "./journal";
import type { RunRefusal } from "./protocol";
import { isRetryable } from "./state";

/** A person's correction sent with a retry. Both optional: without them the run resumes as it was. */
export interface RetryCorrection {
  /** Replaces the run's input (the old one is journaled). */
  input?: unknown;
  /** 1-based step to run again from; the steps before it are kept. */
  fromStep?: number;
}

/**
 * Where the retry resumes (`from`: steps from it on run again) and whether those steps are planned
 * again (`replan`: a new input on a run that has a plan), or why `from_step` is refused.
 */
export type RetryDecision = { ok: true; from: number; replan: boolean } | { ok: false; message: string };

/**
 * Decides a retry. Without `fromStep` it resumes at the first step not completed (as a plain retry
 * does). `fromStep` must name a step of the plan the run has reached: a completed step, or the first
 * one not completed.
 */
export function decideCorrectedRetry(plan: PlanStep[] | null, steps: { idx: number; status: string }[], c: RetryCorrection): RetryDecision {
  const firstOpen = steps.find((s) => s.status !== "completed")?.idx ?? steps.length + 1;
  if (c.fromStep !== undefined) {
    if (!plan) return { ok: false, message: "from_step: the run failed before it had a plan; retry without from_step" };
    if (c.fromStep > plan.length) return { ok: false, message: `from_step: the plan has ${plan.length} steps` };
    if (c.fromStep > firstOpen)
      return {
        ok: false,
        message: `from_step: step ${c.fromStep} was never reached; the run can resume from step ${firstOpen} at the latest`,
      };
  }
  const from = c.fromStep ?? (plan ? Math.min(firstOpen, plan.length) : 1);
  return { ok: true, from, replan: c.input !== undefined && plan !== null };
}

/**
 * Puts a failed or dead run back in the queue as a new run attempt, resuming after its last
 * completed step, or from `c.fromStep`: completed steps before it keep their results and are never
 * run again. A new `c.input` replaces the input (the old one is journaled) and the steps from there
 * on are planned again from it (decideCorrectedRetry). A resolution the run had is cleared.
 */
export function retryTransition(
  e: RunEngine,
  j: Journal,
  run: RunRow,
  c: RetryCorrection,
  now: number,
): Transition<RunRefusal<"conflict" | "invalid_request"> | null> {
  if (!isRetryable(run.status)) {
    return {
      result: { error: { code: "conflict", message: `only failed or dead runs can be retried; this run is ${run.status}` } },
      effects: { events: [] },
    };
  }
  const decided = decideCorrectedRetry(run.plan, j.steps(), c);
  if (!decided.ok) return { result: { error: { code: "invalid_request", message: decided.message } }, effects: { events: [] } };
  const gen = run.gen + 1;
  const events: NewEvent[] = [];
  if (decided.replan) j.deleteStepsFrom(decided.from);
  else {
    for (const s of j.steps()) {
      if (s.status !== "completed" || s.idx >= decided.from)
        j.updateStep(s.idx, { status: "pending", attempts: 0, transcript: null, finished_at: null, summary: null, output: null });
    }
  }
  if (c.input !== undefined) {
    events.push({
      type: "run.input_replaced",
      level: "info",
      message: "input replaced by a correction",
      data: { previous_input: run.input, input: c.input },
    });
  }
  e.setStatus("queued", {
    attempts: run.attempts + 1,
    gen,
    error: null,
    finished_at: null,
    not_before: null,
    resolution: null,
    ...(c.input === undefined ? {} : { input: c.input }),
    // A replan starts with a fresh planner budget; a plain retry keeps the plan's.
    ...(decided.replan ? { plan: null, plan_attempts: 0 } : { plan_attempts: run.plan ? run.plan_attempts : 0 }),
  });
  const where = c.fromStep !== undefined ? `from step ${decided.from}` : "after the last completed step";
  events.push({
    type: "run.queued",
    level: "info",
    message: `retry: attempt ${run.attempts + 1} resumes ${where}${decided.replan ? ", planned again from the new input" : ""}`,
    data: {
      reason: "retry",
      attempt: run.attempts + 1,
      previous_status: run.status,
      ...(run.plan ? { from_step: decided.from } : {}),
      replanned: decided.replan,
      input_replaced: c.input !== undefined,
    },
  });
  return { result: null, effects: { events: j.append(events, now), dispatch: { gen, delayMs: 0 } } };
}
