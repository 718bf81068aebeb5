// The tool registry: which tools an agent offers the model, by name.

import type { AgentProfile, HttpTool } from "../../domain/types";
import { EMIT_EVENT } from "./emit-event";
import { FILE_LIST, FILE_READ, FILE_WRITE } from "./file-tools";
import { httpRequestTool } from "./http-request";
import { MEMORY_GET, MEMORY_SET } from "./memory";
import { RUN_CODE } from "./run-code";
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
  http_request: httpRequestTool(),
  memory_get: MEMORY_GET,
  memory_set: MEMORY_SET,
  emit_event: EMIT_EVENT,
  request_approval: REQUEST_APPROVAL,
  file_write: FILE_WRITE,
  file_read: FILE_READ,
  file_list: FILE_LIST,
  run_code: RUN_CODE,
};

/** Tool names the agent protocol itself uses; no agent tool may take them. */
/** The tools that can put files in the run's workspace (the run then lists it for GET /v1/runs/:id). */
export const WORKSPACE_WRITING_TOOLS: ReadonlySet<string> = new Set(["file_write", "run_code"]);

export const PROTOCOL_TOOL_NAMES: readonly string[] = ["submit_plan", "complete_step"];

/**
 * The tools an agent offers: its built-in tools that exist, plus its tenant HTTP tools built by
 * `httpTool` (the queue consumer passes `httpTool` from ./http-tool; without it they are left out).
 */
export function toolsFor(agent: AgentProfile, httpTool?: (t: HttpTool) => ToolDefinition): ToolDefinition[] {
  const out: ToolDefinition[] = [];
  for (const name of agent.tools) {
    const t = BUILTIN[name];
    if (t) out.push(t);
  }
  if (httpTool) for (const t of agent.http_tools) out.push(httpTool(t));
  return out;
}

/** The input schema of a tool an agent offers (built-in or tenant HTTP tool), or null. */
export function toolSchema(agent: AgentProfile, name: string): Record<string, unknown> | null {
  if (agent.tools.includes(name) && BUILTIN[name]) return BUILTIN[name].input_schema;
  return agent.http_tools.find((t) => t.name === name)?.input_schema ?? null;
}

/** Names of the built-in tools, for validating agent definitions. */
export function builtinToolNames(): string[] {
  return Object.keys(BUILTIN);
}
