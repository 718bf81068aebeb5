// The tool registry: which tools an agent offers the model, by name.

import type { AgentProfile } from "../../domain/types";
import type { ToolDefinition } from "./tool";

const REQUEST_APPROVAL: ToolDefinition = {
  name: "request_approval",
  description: "Ask a person to approve an action before you take it. Returns {decision, comment}.",
  input_schema: {
    type: "object",
    properties: { action: { type: "string" }, details: {} },
    required: ["action"],
  },
  // Never executed directly: the supervisor turns every call into an approval request.
  async run() {
    return { ok: false, error: "request_approval is answered by a person, not executed" };
  },
};

const BUILTIN: Record<string, ToolDefinition> = {
  request_approval: REQUEST_APPROVAL,
};

/** Registers a built-in tool (each tool module calls this once). */
export function registerTool(tool: ToolDefinition): void {
  BUILTIN[tool.name] = tool;
}

/** The tools an agent offers: its built-in tools that exist, plus its tenant HTTP tools. */
export function toolsFor(agent: AgentProfile, httpTool?: (t: AgentProfile["http_tools"][number]) => ToolDefinition): ToolDefinition[] {
  const out: ToolDefinition[] = [];
  for (const name of agent.tools) {
    const t = BUILTIN[name];
    if (t) out.push(t);
  }
  if (httpTool) for (const t of agent.http_tools) out.push(httpTool(t));
  return out;
}

export function builtinToolNames(): string[] {
  return Object.keys(BUILTIN);
}
