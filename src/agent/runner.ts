// Runs a claimed run unit by unit (the plan, then each step), committing each unit to the run's
// Durable Object before the next starts, until the run finishes, waits, fails or the time budget
// of this invocation is spent.

import type { ModelClient } from "../adapters/model/port";
import { RunFailure } from "../domain/errors";
import type { Pricing } from "../domain/pricing";
import type { CommitRequest, CommitResult, WorkState } from "../run/protocol";
import { makePlan } from "./planner";
import { UnitRecorder } from "./recorder";
import { Supervisor } from "./supervisor";
import type { ToolContext, ToolDefinition } from "./tools/tool";

/** The run's Durable Object as the runner sees it. */
export interface RunHandle {
  commit(req: CommitRequest): Promise<CommitResult>;
  renew(token: string): Promise<boolean>;
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

/** Executes units until the run leaves this worker; returns the last commit's result. */
export async function runClaimed(handle: RunHandle, token: string, first: WorkState, deps: RunnerDeps): Promise<CommitResult> {
  let work = first;
  for (;;) {
    const req = await withRenewal(handle, token, deps.renewEveryMs, () => executeUnit(token, work, deps));
    const res = await handle.commit(req);
    if (res.status !== "continue") return res;
    work = res.work;
  }
}

async function executeUnit(token: string, work: WorkState, deps: RunnerDeps): Promise<CommitRequest> {
  const rec = new UnitRecorder(work, deps.model, deps.pricing);
  const model = work.agent.model || deps.defaultModel;
  const unit = work.unit;
  try {
    if (unit.index === 0) {
      const plan = await makePlan(work, rec, model);
      return { kind: "plan", token, plan, report: rec.report(), handoff: Date.now() >= deps.deadline };
    }
    const { tools, ctx } = deps.tools(work);
    const outcome = await new Supervisor(work, rec, tools, ctx, model).run();
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
    if (!(err instanceof RunFailure)) throw err;
    const failure = { code: err.code, message: err.message, ...(err.retryAfterMs === undefined ? {} : { retryAfterMs: err.retryAfterMs }) };
    return { kind: "fail", token, index: unit.index, failure, report: rec.report() };
  }
}

/** Runs `work` while renewing the lease every `everyMs`, so a long step is not taken as lost. */
async function withRenewal<T>(handle: RunHandle, token: string, everyMs: number, work: () => Promise<T>): Promise<T> {
  const timer = setInterval(() => {
    handle.renew(token).catch((e: unknown) => console.warn("lease renewal failed", { error: String(e) }));
  }, everyMs);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}
