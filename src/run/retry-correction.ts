// What a retry with a correction (`POST /v1/runs/:id/retry {input?, from_step?}`) does to a run's
// steps, decided purely from its plan and step statuses: where it resumes and whether it replans.

import type { PlanStep } from "../domain/types";

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
