// The planner: one model call with the forced `submit_plan` tool (docs/api.md, The agent protocol).

import { RunFailure } from "../domain/errors";
import type { PlanStep } from "../domain/types";
import type { WorkState } from "../run/protocol";
import type { UnitRecorder } from "./recorder";

const MAX_TOKENS = 4096;

export function submitPlanTool(maxSteps: number) {
  return {
    name: "submit_plan",
    description: "Submit the ordered plan of steps that accomplishes the task.",
    input_schema: {
      type: "object",
      properties: {
        steps: {
          type: "array",
          minItems: 1,
          maxItems: maxSteps,
          items: {
            type: "object",
            properties: { title: { type: "string" }, instructions: { type: "string" } },
            required: ["title", "instructions"],
          },
        },
      },
      required: ["steps"],
    },
  };
}

/** The input as the user message: strings as they are, objects as JSON. */
export function inputText(input: unknown): string {
  return typeof input === "string" ? input : JSON.stringify(input, null, 2);
}

/**
 * The planner's user message: the input and, when a corrected retry kept steps, those steps with
 * their summaries (`<completed_step>` elements, as the supervisor shows them).
 */
export function planningMessage(work: WorkState): string {
  if (work.completed.length === 0) return inputText(work.input);
  const done = work.completed.map((c) => `<completed_step index="${c.index}" title="${c.title}">${c.summary}</completed_step>`).join("\n");
  return `${inputText(work.input)}\n\n<completed_steps>\n${done}\n</completed_steps>\n\nThese steps are done and kept. Plan only the steps still to do.`;
}

/** Asks the model for a plan and validates it (1..max_steps steps with title and instructions). */
export async function makePlan(work: WorkState, rec: UnitRecorder, model: string): Promise<PlanStep[]> {
  // A corrected retry keeps its completed steps: the planner sees them and plans only what is left.
  const kept = work.completed;
  const max = Math.max(1, work.agent.max_steps - kept.length);
  const task = kept.length > 0 ? "the rest of the task, after the completed steps listed," : "the task";
  const res = await rec.call({
    model,
    system: `${work.agent.system_prompt}\n\nFirst, plan: split ${task} into 1 to ${max} ordered steps and submit them with submit_plan.`,
    messages: [{ role: "user", content: planningMessage(work) }],
    tools: [submitPlanTool(max)],
    tool_choice: { type: "tool", name: "submit_plan" },
    max_tokens: MAX_TOKENS,
  });
  const use = res.content.find((b) => b.type === "tool_use" && b.name === "submit_plan");
  const steps = use && use.type === "tool_use" ? (use.input as { steps?: unknown }).steps : undefined;
  if (!Array.isArray(steps) || steps.length === 0) {
    throw new RunFailure("invalid_plan", "the model did not submit a plan with at least one step");
  }
  if (steps.length > max) throw new RunFailure("invalid_plan", `the model planned ${steps.length} steps; the agent allows at most ${max}`);
  return steps.map((s, i) => {
    const step = s as { title?: unknown; instructions?: unknown };
    if (typeof step.title !== "string" || step.title.trim() === "") throw new RunFailure("invalid_plan", `plan step ${i + 1} has no title`);
    return { title: step.title.trim().slice(0, 200), instructions: typeof step.instructions === "string" ? step.instructions : step.title };
  });
}
