// The supervisor: executes one plan step as a loop of model calls with the agent's tools plus
// `complete_step` (docs/api.md, The agent protocol), pausing when a tool call needs a person's approval.

import type { ContentBlock, ModelMessage, ModelTool } from "../adapters/model/port";
import { RunFailure } from "../domain/errors";
import type { WorkState } from "../run/protocol";
import { needsApproval } from "./agents";
import { inputText } from "./planner";
import type { UnitRecorder } from "./recorder";
import type { ToolContext, ToolDefinition, ToolResult } from "./tools/tool";
import { schemaErrors } from "./tools/validate";

/** More model calls than this in one step fail it permanently (`step_iteration_limit`). */
export const MAX_CALLS_PER_STEP = 8;
const MAX_TOKENS = 4096;

type ToolUse = Extract<ContentBlock, { type: "tool_use" }>;

/** A paused step's conversation, saved with the approval it waits for. */
export interface Transcript {
  messages: ModelMessage[];
  calls: number;
  results: ContentBlock[];
  remaining: ToolUse[];
  waitingFor: ToolUse;
}

export type StepOutcome =
  | { status: "done"; summary: string; output: unknown }
  | { status: "waiting"; approval: { tool: string; input: unknown; reason: string }; transcript: Transcript };

const COMPLETE_STEP: ModelTool = {
  name: "complete_step",
  description: "Finish the current step with a short summary and, optionally, its output.",
  input_schema: { type: "object", properties: { summary: { type: "string" }, output: {} }, required: ["summary"] },
};

/** The first user message: the input, the plan, completed steps and the current step. */
export function stepContext(work: WorkState): string {
  const plan = (work.plan ?? []).map((s, i) => `${i + 1}. ${s.title}`).join("\n");
  const done = work.completed.map((c) => `<completed_step index="${c.index}" title="${c.title}">${c.summary}</completed_step>`).join("\n");
  const u = work.unit;
  return [
    `<input>\n${inputText(work.input)}\n</input>`,
    `<plan>\n${plan}\n</plan>`,
    done,
    `<current_step index="${u.index}" title="${u.title}">\n<instructions>${u.instructions}</instructions>\n</current_step>`,
    `Carry out the current step now. Call complete_step when it is done.`,
  ]
    .filter((s) => s !== "")
    .join("\n\n");
}

export class Supervisor {
  private readonly byName: Map<string, ToolDefinition>;

  constructor(
    private readonly work: WorkState,
    private readonly rec: UnitRecorder,
    private readonly tools: ToolDefinition[],
    private readonly toolCtx: ToolContext,
    private readonly model: string,
  ) {
    this.byName = new Map(tools.map((t) => [t.name, t]));
  }

  async run(): Promise<StepOutcome> {
    const resume = this.work.unit.resume;
    let messages: ModelMessage[];
    let priorCalls = 0;
    if (resume) {
      const t = resume.transcript as Transcript;
      messages = t.messages;
      priorCalls = t.calls;
      const d = resume.decision;
      const first = d
        ? await this.decided(t.waitingFor, d.decision, d.comment, d.input)
        : this.errorResult(t.waitingFor, "the approval was closed");
      const paused = await this.runTools(t.remaining, [...t.results, first], messages, priorCalls);
      if (paused) return paused;
      const done = this.completion(messages);
      if (done) return done;
    } else {
      messages = [{ role: "user", content: stepContext(this.work) }];
    }
    while (priorCalls + this.rec.callCount < MAX_CALLS_PER_STEP) {
      const res = await this.rec.call({
        model: this.model,
        system: this.work.agent.system_prompt,
        messages,
        tools: [...this.tools.map(({ name, description, input_schema }) => ({ name, description, input_schema })), COMPLETE_STEP],
        tool_choice: { type: "auto" },
        max_tokens: MAX_TOKENS,
      });
      messages.push({ role: "assistant", content: res.content });
      const uses = res.content.filter((b): b is ToolUse => b.type === "tool_use");
      if (uses.length === 0) {
        messages.push({ role: "user", content: "Continue with the current step. Call complete_step when it is done." });
        continue;
      }
      const paused = await this.runTools(
        uses.filter((u) => u.name !== "complete_step"),
        [],
        messages,
        priorCalls,
      );
      if (paused) return paused;
      const done = this.completion(messages);
      if (done) return done;
    }
    throw new RunFailure(
      "step_iteration_limit",
      `step ${this.work.unit.index} made ${MAX_CALLS_PER_STEP} model calls without calling complete_step`,
    );
  }

  /** The step's result if the last assistant message called complete_step with a valid input. */
  private completion(messages: ModelMessage[]): StepOutcome | null {
    const lastAssistant = [...messages].reverse().find((m) => m.role === "assistant");
    const content = lastAssistant && typeof lastAssistant.content !== "string" ? lastAssistant.content : [];
    const call = content.find((b): b is ToolUse => b.type === "tool_use" && b.name === "complete_step");
    if (!call) return null;
    const input = (call.input ?? {}) as { summary?: unknown; output?: unknown };
    if (typeof input.summary !== "string") {
      // Tell the model what was wrong; it gets another call to fix it.
      const last = messages[messages.length - 1];
      const block: ContentBlock = {
        type: "tool_result",
        tool_use_id: call.id,
        content: "complete_step needs a string `summary`",
        is_error: true,
      };
      if (last && last.role === "user" && Array.isArray(last.content)) last.content.push(block);
      else messages.push({ role: "user", content: [block] });
      return null;
    }
    return { status: "done", summary: input.summary, output: input.output ?? null };
  }

  /** Executes tool calls in order; pauses at the first that needs approval. */
  private async runTools(
    uses: ToolUse[],
    results: ContentBlock[],
    messages: ModelMessage[],
    priorCalls: number,
  ): Promise<StepOutcome | null> {
    for (let i = 0; i < uses.length; i++) {
      const use = uses[i] as ToolUse;
      const tool = this.byName.get(use.name);
      if (tool && needsApproval(this.work.agent, use.name, use.input)) {
        const invalid = schemaErrors(tool.input_schema, use.input);
        if (invalid === null) {
          const transcript: Transcript = {
            messages,
            calls: priorCalls + this.rec.callCount,
            results,
            remaining: uses.slice(i + 1),
            waitingFor: use,
          };
          const reason =
            use.name === "request_approval"
              ? String((use.input as { action?: unknown })?.action ?? "approval requested")
              : `${use.name} requires approval`;
          return { status: "waiting", approval: { tool: use.name, input: use.input, reason }, transcript };
        }
      }
      results.push(await this.execute(use, use.input));
    }
    if (results.length > 0) messages.push({ role: "user", content: results });
    return null;
  }

  private async execute(use: ToolUse, input: unknown): Promise<ContentBlock> {
    const tool = this.byName.get(use.name);
    this.rec.log({
      type: "tool.call",
      level: "info",
      message: `tool ${use.name}`,
      data: { step: this.work.unit.index, tool: use.name, input },
    });
    let result: ToolResult;
    if (!tool) result = { ok: false, error: `unknown tool ${use.name}; available: ${[...this.byName.keys(), "complete_step"].join(", ")}` };
    else {
      const invalid = schemaErrors(tool.input_schema, input);
      if (invalid) result = { ok: false, error: `invalid input for ${use.name}: ${invalid}` };
      else {
        const started = Date.now();
        this.rec.note({ kind: "tool.started", tool: use.name });
        try {
          result = await tool.run(input, this.toolCtx);
        } catch (err) {
          this.rec.note({ kind: "tool.finished", tool: use.name, ok: false, ms: Date.now() - started });
          throw err;
        }
        this.rec.note({ kind: "tool.finished", tool: use.name, ok: result.ok, ms: Date.now() - started });
      }
    }
    this.rec.log({
      type: "tool.result",
      level: result.ok ? "info" : "warn",
      message: result.ok ? `tool ${use.name} succeeded` : `tool ${use.name} failed: ${result.error}`,
      data: { step: this.work.unit.index, tool: use.name, ok: result.ok, ...(result.ok ? {} : { error: result.error }) },
    });
    return result.ok
      ? { type: "tool_result", tool_use_id: use.id, content: JSON.stringify(result.value ?? null) }
      : { type: "tool_result", tool_use_id: use.id, content: result.error, is_error: true };
  }

  private errorResult(use: ToolUse, message: string): ContentBlock {
    return { type: "tool_result", tool_use_id: use.id, content: message, is_error: true };
  }

  /** The tool_result for a decided approval: the decision itself, or the approved tool's result. */
  private async decided(
    use: ToolUse,
    decision: "approved" | "rejected",
    comment: string | null,
    editedInput: unknown,
  ): Promise<ContentBlock> {
    if (use.name === "request_approval" || decision === "rejected") {
      const content = JSON.stringify({ decision, comment });
      return decision === "rejected" && use.name !== "request_approval"
        ? { type: "tool_result", tool_use_id: use.id, content: `a person rejected this ${use.name} call: ${content}`, is_error: true }
        : { type: "tool_result", tool_use_id: use.id, content };
    }
    return this.execute(use, editedInput ?? use.input);
  }
}
