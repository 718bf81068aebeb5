// Runs a claimed run unit by unit (the plan, then each step), committing each unit to the run's
// Durable Object before the next starts, until the run finishes, waits, fails or the time budget
// of this invocation is spent. A unit the run no longer wants (canceled, lease lost) is aborted.

import type { CallContext, ModelClient, ModelRequest } from "../adapters/model/port";
import { RunFailure } from "../domain/errors";
import type { Pricing } from "../domain/pricing";
import { errorText, log } from "../ops/log";
import type { CommitRequest, CommitResult, Progress, RenewResult, WorkState } from "../run/protocol";
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
  watched = false,
): Promise<RunnerResult> {
  const send = handle.progress?.bind(handle);
  const progress = new ProgressReporter(send ? (note) => send(token, note) : null, watched);
  let work = first;
  for (;;) {
    let req: CommitRequest;
    try {
      req = await withRenewal(handle, token, deps.renewEveryMs, stop, progress, () =>
        executeUnit(token, work, deps, stop.signal, progress),
      );
    } catch (err) {
      if (stop.signal.aborted) return { status: "stopped", reason: String(stop.signal.reason) };
      throw err;
    }
    if (stop.signal.aborted) return { status: "stopped", reason: String(stop.signal.reason) };
    await progress.settled();
    const res = await handle.commit(req);
    if (res.status !== "continue") return res;
    work = res.work;
    progress.watched = res.watched ?? false;
  }
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
  work: () => Promise<T>,
): Promise<T> {
  const timer = setInterval(() => {
    handle
      .renew(token)
      .then((r) => {
        if (!r.held) stop.abort("the run took the lease back");
        progress.watched = r.watched;
      })
      .catch((e: unknown) => log.warn("lease.renew_failed", "lease renewal failed", { error: errorText(e) }));
  }, everyMs);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}
