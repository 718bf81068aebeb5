// What the queue consumer and the run's Durable Object say to each other: claims, commits and
// the state a worker needs to execute the next unit of a run (the plan, or one plan step).

import type { RunCost } from "../domain/costs";
import type { FailureCode } from "../domain/errors";
import type { AgentProfile, NewEvent, PlanStep, Priority, RunEvent, Usage } from "../domain/types";
import type { ApprovalView, RunView } from "./view";

/** A lane message: ids only. `gen` fences messages issued before the run was re-dispatched. */
export interface RunMessage {
  run: string;
  tenant: string;
  gen: number;
}

/**
 * Called by the run object when it takes the lease back from the worker executing a unit (the run
 * was canceled or marked dead, or the lease lapsed): the worker aborts its model and tool calls.
 * Passed as a Workers RPC callback with the claim, so it costs no request unless it is called.
 */
export type CancelListener = (reason: string) => void | Promise<void>;

export interface ClaimRequest {
  gen: number;
  worker: string;
  /** The worker's stop signal, kept while it holds the lease. */
  onCancel?: CancelListener;
}

/** The unit a worker executes next: index 0 is the planner, 1.. are plan steps. */
export interface WorkUnit {
  index: number;
  title: string;
  instructions: string;
  /** Attempt of this unit, from 1. */
  attempt: number;
  /** Model calls of this unit that failed in earlier attempts. */
  failedCalls: number;
  /** Saved conversation of a step that paused for approval, with the decision. */
  resume: StepResume | null;
}

export interface ApprovalDecisionView {
  id: string;
  decision: "approved" | "rejected";
  comment: string | null;
  input: unknown;
}

export interface StepResume {
  transcript: unknown;
  decision: ApprovalDecisionView | null;
}

export interface WorkState {
  runId: string;
  tenantId: string;
  agent: AgentProfile;
  input: unknown;
  plan: PlanStep[] | null;
  completed: { index: number; title: string; summary: string }[];
  unit: WorkUnit;
  /** The run's attempt (grows on retry and redrive). */
  runAttempt: number;
  spent: number;
  maxCredits: number;
  feeCharged: boolean;
  priority: Priority;
}

/**
 * Who follows the run live, as the run object's answers say. `watched`: a stream asked for
 * progress notes (see Progress), so the worker sends them. `live`: any stream is open, so the
 * worker commits the plan as soon as it is made rather than with the first step (`foldsFirstStep`).
 */
export interface Followers {
  watched?: boolean;
  live?: boolean;
}

export type ClaimResult =
  | ({ status: "claimed"; token: string; work: WorkState } & Followers)
  | { status: "later"; delayMs: number; priority: Priority }
  | { status: "drop"; reason: string };

/** What happened while a unit executed, committed with its outcome. */
export interface UnitReport {
  events: NewEvent[];
  charges: { key: string; amount: number }[];
  usage: Usage;
  feeCharged: boolean;
}

export interface ApprovalRequest {
  tool: string;
  input: unknown;
  reason: string;
}

/** The commit of a plan step's unit: completed, paused for an approval, or failed. */
export type StepCommit =
  | { kind: "step"; token: string; index: number; summary: string; output: unknown; report: UnitReport; handoff: boolean }
  | { kind: "wait"; token: string; index: number; approval: ApprovalRequest; transcript: unknown; report: UnitReport }
  | {
      kind: "fail";
      token: string;
      index: number;
      failure: { code: FailureCode; message: string; retryAfterMs?: number };
      report: UnitReport;
    };

/**
 * The planner's commit. With `firstStep`, the commit of the plan's first step, executed under the same
 * lease before anything was committed: both are applied in one transition (one journal page and
 * one request, where they took two). A worker folds them only for a first plan nobody watches
 * live (`foldsFirstStep` in src/agent/runner.ts); the run object accepts `firstStep` only for step 1
 * of a plan with no kept steps.
 */
export type PlanCommit = { kind: "plan"; token: string; plan: PlanStep[]; report: UnitReport; handoff: boolean; firstStep?: StepCommit };

export type CommitRequest = PlanCommit | StepCommit;

export type CommitResult =
  | ({ status: "continue"; work: WorkState } & Followers)
  | { status: "handoff" }
  | { status: "done" }
  | { status: "retry"; delayMs: number }
  | { status: "dead" }
  | { status: "rejected"; reason: string };

/** A lease renewal's answer: whether the worker still holds the lease, and who follows the run. */
export interface RenewResult extends Followers {
  held: boolean;
  watched: boolean;
}

export type { Progress } from "../domain/progress";

/** What the tenant object gives a new run's object (`RunObject.init`). Times are epoch ms. */
export interface InitParams {
  id: string;
  tenantId: string;
  agent: AgentProfile;
  priority: Priority;
  input: unknown;
  maxCredits: number;
  metadata: Record<string, unknown> | null;
  webhookUrl: string | null;
  runAt: number | null;
  createdAt: number;
  /** The run was created with files in its workspace. */
  withFiles?: boolean;
  /** The tenant object's requests and rows for creating the run (counted into its cost). */
  tenantCost?: Pick<RunCost, "tenant_requests" | "tenant_rows">;
}

/** A refused request to a run, as the API renders it. */
export type RunRefusal<C extends string> = { error: { code: C; message: string } };

/** `POST /v1/runs/:id/cancel` and `/retry`: the run afterwards, or why not. */
export type CancelResult = { run: RunView } | RunRefusal<"not_found" | "conflict">;

/** `POST /v1/runs/:id/retry` (and a redrive): the run afterwards, or why not (`invalid_request`: `from_step`). */
export type RetryResult = { run: RunView } | RunRefusal<"not_found" | "conflict" | "invalid_request">;

/** `POST /v1/approvals/:id`: the decided approval, or why not. */
export type DecideResult = { approval: ApprovalView } | RunRefusal<"not_found" | "conflict" | "invalid_request">;

/** A page of a run's log (`GET /v1/runs/:id/logs`); `done` once the final event has been read. */
export interface LogPage {
  events: RunEvent[];
  next_after: number;
  done: boolean;
}
