// Runs a claimed run unit by unit (the plan, then each step), committing each unit to the run's
// Durable Object before the next starts, until the run finishes, waits, fails or the time budget
// of this invocation is spent. A unit the run no longer wants (canceled, lease lost) is aborted.

import type { CallContext, ModelClient, ModelRequest } from "../adapters/model/port";
import { RunFailure } from "../domain/errors";
import type { Pricing } from "../domain/pricing";
import { errorText, log } from "../ops/log";
import type { CommitRequest, CommitResult, Followers, PlanCommit, Progress, RenewResult, StepCommit, WorkState } from "../run/protocol";
import { makePlan } from "./planner";
import { ProgressReporter } from "./progress";
import { UnitRecorder } from "./recorder";
import { Supervisor } from "./supervisor";
import type { ToolContext, ToolDefinition } from "./tools/tool";

/** The run's Durable Object as the runner sees it. */
export interface RunHandle {
  commit(req: CommitRequest): Promise<CommitResult>;
  renew(token: string): Promise<RenewResult>;
  /** Sends a progress note; resolves to whether anyone still watches. Absent: no notes are sent. */
  progress?(token: string, note: Progress): Promise<boolean>;
}

export interface RunnerDeps {
  model: ModelClient;
  /** The deployment's default model id (an agent's own `model` wins). */
  defaultModel: string;
  pricing: Pricing;
  /** Tools and their context for the run being executed. */
  tools(work: WorkState): { tools: ToolDefinition[]; ctx: ToolContext };
  /** Epoch ms after which no new unit starts in this invocation. */
  deadline: number;
  /** Lease renewal period (ms). */
  renewEveryMs: number;
}

/** The last commit's result, or `stopped` when the run took the unit back and nothing was committed. */
export type RunnerResult = CommitResult | { status: "stopped"; reason: string };

/**
 * Executes units until the run leaves this worker; returns the last commit's result. Aborting
 * `stop` (the run object's cancel callback does, and so does a renewal the run refuses) aborts the
 * unit's model and tool calls; the unit is then not committed.
 */
export async function runClaimed(
  handle: RunHandle,
  token: string,
  first: WorkState,
  deps: RunnerDeps,
  stop: AbortController = new AbortController(),
  followers: Followers = {},
): Promise<RunnerResult> {
  const send = handle.progress?.bind(handle);
  const progress = new ProgressReporter(send ? (note) => send(token, note) : null, followers.watched ?? false);
  /** Whether any stream follows the run, as the run object last said (claim, commit or renewal). */
  const live = { now: followers.live ?? false };
  /** Executes one unit under the lease; null when the run took it back (stopped). */
  const execute = async (w: WorkState): Promise<CommitRequest | null> => {
    try {
      const req = await withRenewal(handle, token, deps.renewEveryMs, stop, progress, live, () =>
        executeUnit(token, w, deps, stop.signal, progress),
      );
      return stop.signal.aborted ? null : req;
    } catch (err) {
      if (stop.signal.aborted) return null;
      throw err;
    }
  };
  const stopped = (): RunnerResult => ({ status: "stopped", reason: String(stop.signal.reason) });
  let work = first;
  for (;;) {
    let req = await execute(work);
    if (!req) return stopped();
    if (req.kind === "plan" && foldsFirstStep(work, req, live.now)) {
      // The first step runs before the plan is committed; both are committed together.
      // A step unit (index 1) never answers with a plan.
      const firstStep = (await execute(firstStepWork(work, req))) as StepCommit | null;
      if (!firstStep) return stopped();
      req = { ...req, firstStep };
    }
    await progress.settled();
    const res = await handle.commit(req);
    if (res.status !== "continue") return res;
    work = res.work;
    progress.watched = res.watched ?? false;
    live.now = res.live ?? false;
  }
}

/**
 * Whether the worker executes the plan's first step before committing the plan, and commits both
 * at once (one request and one journal page fewer per run): for a run's first plan, on its first
 * attempt, with no kept steps, while no stream follows it (a stream sees the plan as soon as it is
 * made) and the time budget is not spent. A worker lost during that step loses the plan with it:
 * the next attempt plans again, and commits its plan on its own.
 */
export function foldsFirstStep(work: WorkState, plan: PlanCommit, live: boolean): boolean {
  return !live && !plan.handoff && work.unit.index === 0 && work.unit.attempt === 1 && work.plan === null && work.completed.length === 0;
}

/** The work of the plan's first step, as the run object gives it after committing `plan` (RunEngine.startUnit). */
export function firstStepWork(work: WorkState, plan: PlanCommit): WorkState {
  const step = plan.plan[0]!;
  const charged = plan.report.charges.reduce((sum, c) => sum + c.amount, 0);
  return {
    ...work,
    plan: plan.plan,
    unit: { index: 1, title: step.title, instructions: step.instructions, attempt: 1, failedCalls: 0, resume: null },
    spent: work.spent + charged,
    feeCharged: plan.report.feeCharged || work.feeCharged,
  };
}

/** The model client with every call carrying `signal`. */
function withSignal(model: ModelClient, signal: AbortSignal): ModelClient {
  return {
    provider: model.provider,
    createMessage: (request: ModelRequest, ctx: CallContext) => model.createMessage(request, { ...ctx, signal }),
  };
}

async function executeUnit(
  token: string,
  work: WorkState,
  deps: RunnerDeps,
  signal: AbortSignal,
  progress: ProgressReporter,
): Promise<CommitRequest> {
  const rec = new UnitRecorder(work, withSignal(deps.model, signal), deps.pricing, progress);
  const model = work.agent.model || deps.defaultModel;
  const unit = work.unit;
  try {
    if (unit.index === 0) {
      const plan = await makePlan(work, rec, model);
      return { kind: "plan", token, plan, report: rec.report(), handoff: Date.now() >= deps.deadline };
    }
    const { tools, ctx } = deps.tools(work);
    const outcome = await new Supervisor(work, rec, tools, { ...ctx, signal }, model).run();
    if (outcome.status === "waiting") {
      return { kind: "wait", token, index: unit.index, approval: outcome.approval, transcript: outcome.transcript, report: rec.report() };
    }
    return {
      kind: "step",
      token,
      index: unit.index,
      summary: outcome.summary,
      output: outcome.output,
      report: rec.report(),
      handoff: Date.now() >= deps.deadline,
    };
  } catch (err) {
    if (signal.aborted || !(err instanceof RunFailure)) throw err;
    const failure = { code: err.code, message: err.message, ...(err.retryAfterMs === undefined ? {} : { retryAfterMs: err.retryAfterMs }) };
    return { kind: "fail", token, index: unit.index, failure, report: rec.report() };
  }
}

/**
 * Runs `work` while renewing the lease every `everyMs`, so a long step is not taken as lost. A
 * renewal the run refuses (the lease is no longer this worker's) aborts `stop`: the run object's
 * cancel callback may have been lost with an eviction, the renewal never is. A renewal also says
 * whether anyone watches now, so a watcher who arrives during a long step gets its progress.
 */
async function withRenewal<T>(
  handle: RunHandle,
  token: string,
  everyMs: number,
  stop: AbortController,
  progress: ProgressReporter,
  live: { now: boolean },
  work: () => Promise<T>,
): Promise<T> {
  const timer = setInterval(() => {
    handle
      .renew(token)
      .then((r) => {
        if (!r.held) stop.abort("the run took the lease back");
        progress.watched = r.watched;
        live.now = r.live ?? false;
      })
      .catch((e: unknown) => log.warn("lease.renew_failed", "lease renewal failed", { error: errorText(e) }));
  }, everyMs);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}
