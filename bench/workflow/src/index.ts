// Baseline for `npm run bench`: an edgecrew two-step run written as a Cloudflare Workflow (one
// step.do for the plan, one per plan step, each calling the same scripted model with the same
// request shape), plus a small HTTP front that creates instances and reports their status.

import { WorkflowEntrypoint, type WorkflowEvent, type WorkflowStep } from "cloudflare:workers";
import type { ModelResponse } from "../../../src/adapters/model/port";
import { scriptedModel } from "../../../src/adapters/model/scripted";
import { BUILTIN_AGENTS } from "../../../src/agent/agents";
import { inputText, submitPlanTool } from "../../../src/agent/planner";
import { stepContext } from "../../../src/agent/supervisor";
import type { PlanStep } from "../../../src/domain/types";
import type { WorkState } from "../../../src/run/protocol";

/** What an instance is created with: the run's input and when the client asked for it (epoch ms). */
export interface FlowParams {
  input: string;
  created_at: number;
}

/** One model call as edgecrew journals it (the `model.call` event's data). */
interface CallRecord {
  usage: ModelResponse["usage"];
  stop_reason: string | null;
  ms: number;
}

interface StepRecord {
  index: number;
  title: string;
  summary: string;
  /** The step's output as JSON text (kept as text so the step's result type stays serialisable). */
  output: string;
  call: CallRecord;
  /** Epoch ms at which the step's work ended (its result is persisted right after). */
  done_at: number;
}

const AGENT = BUILTIN_AGENTS.general!;
const MODEL = "scripted";
const model = scriptedModel();

const COMPLETE_STEP = {
  name: "complete_step",
  description: "Finish the current step with a short summary and, optionally, its output.",
  input_schema: { type: "object", properties: { summary: { type: "string" }, output: {} }, required: ["summary"] },
};

/** The work state a plan step needs, so the step's prompt is built by edgecrew's own code. */
function workState(id: string, input: string, plan: PlanStep[], done: StepRecord[], index: number): WorkState {
  const current = plan[index - 1]!;
  return {
    runId: id,
    tenantId: "bench",
    agent: AGENT,
    input,
    plan,
    completed: done.map((d) => ({ index: d.index, title: d.title, summary: d.summary })),
    unit: { index, title: current.title, instructions: current.instructions, attempt: 1, failedCalls: 0, resume: null },
    runAttempt: 1,
    spent: 0,
    maxCredits: AGENT.max_credits,
    feeCharged: index > 1,
    priority: AGENT.default_priority,
  };
}

function record(res: ModelResponse, started: number): CallRecord {
  return { usage: res.usage, stop_reason: res.stop_reason, ms: Date.now() - started };
}

export class RunFlow extends WorkflowEntrypoint<Env, FlowParams> {
  override async run(event: Readonly<WorkflowEvent<FlowParams>>, step: WorkflowStep) {
    const { input } = event.payload;
    const id = event.instanceId;
    const planned = await step.do("plan", async () => {
      const started = Date.now();
      const res = await model.createMessage(
        {
          model: MODEL,
          system: `${AGENT.system_prompt}\n\nFirst, plan: split the task into 1 to ${AGENT.max_steps} ordered steps and submit them with submit_plan.`,
          messages: [{ role: "user", content: inputText(input) }],
          tools: [submitPlanTool(AGENT.max_steps)],
          tool_choice: { type: "tool", name: "submit_plan" },
          max_tokens: 4096,
        },
        { runId: id, step: 0, attempt: 1, call: 0, failedCalls: 0 },
      );
      const use = res.content.find((b) => b.type === "tool_use" && b.name === "submit_plan");
      const steps = use?.type === "tool_use" ? ((use.input as { steps: PlanStep[] }).steps ?? []) : [];
      if (steps.length === 0) throw new Error("the model did not submit a plan");
      return { plan: steps, call: record(res, started) };
    });

    const done: StepRecord[] = [];
    for (let index = 1; index <= planned.plan.length; index++) {
      const work = workState(id, input, planned.plan, done, index);
      const result = await step.do(`step ${index}`, async (): Promise<StepRecord> => {
        const started = Date.now();
        const res = await model.createMessage(
          {
            model: MODEL,
            system: AGENT.system_prompt,
            messages: [{ role: "user", content: stepContext(work) }],
            tools: [COMPLETE_STEP],
            tool_choice: { type: "auto" },
            max_tokens: 4096,
          },
          { runId: id, step: index, attempt: 1, call: 0, failedCalls: 0 },
        );
        const call = res.content.find((b) => b.type === "tool_use" && b.name === "complete_step");
        const completion = (call?.type === "tool_use" ? call.input : {}) as { summary?: string; output?: unknown };
        if (typeof completion.summary !== "string") throw new Error(`step ${index} did not complete`);
        return {
          index,
          title: work.unit.title,
          summary: completion.summary,
          output: JSON.stringify(completion.output ?? null),
          call: record(res, started),
          done_at: Date.now(),
        };
      });
      done.push(result);
    }
    const last = done[done.length - 1]!;
    const stateBytes = JSON.stringify(planned).length + done.reduce((n, d) => n + JSON.stringify(d).length, 0);
    return {
      summary: last.summary,
      output: JSON.parse(last.output) as unknown,
      created_at: event.payload.created_at,
      finished_at: last.done_at,
      steps_persisted: 1 + done.length,
      state_bytes: stateBytes,
    };
  }
}

function json(body: unknown, status = 200): Response {
  return Response.json(body, { status });
}

export default {
  async fetch(request, env): Promise<Response> {
    const url = new URL(request.url);
    if (request.method === "POST" && url.pathname === "/instances") {
      const body = (await request.json()) as { input?: unknown };
      if (typeof body.input !== "string") return json({ error: "input: a string is required" }, 400);
      const instance = await env.RUN_FLOW.create({ params: { input: body.input, created_at: Date.now() } satisfies FlowParams });
      return json({ id: instance.id }, 201);
    }
    const match = /^\/instances\/([\w-]+)$/.exec(url.pathname);
    if (request.method === "GET" && match) {
      const instance = await env.RUN_FLOW.get(match[1]!);
      return json(await instance.status());
    }
    return json({ error: "not found" }, 404);
  },
} satisfies ExportedHandler<Env>;
