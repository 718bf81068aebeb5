// The built-in agent profiles (docs/agents.md), the business catalogue among them (catalogue.ts).
// Every tenant has them; a tenant may override one by defining a custom agent of the same name.

import type { AgentProfile } from "../domain/types";
import { catalogueAgents } from "./catalogue";

/** The workspace tools every built-in agent lists; `general` adds run_code. */
const FILE_TOOLS = ["file_write", "file_read", "file_list"];

const COMMON_RULES = `
Work one step at a time. Use tools only when they help with the current step, and never invent
tool results. When the current step is done, call complete_step with a short factual summary and,
for the last step, the output the user asked for. If a tool fails, say so in the summary rather
than guessing.`;

function profile(p: Partial<AgentProfile> & Pick<AgentProfile, "name" | "description" | "system_prompt">): AgentProfile {
  return {
    builtin: true,
    model: "",
    tools: ["http_request", "memory_get", "memory_set", "emit_event", "request_approval", ...FILE_TOOLS],
    max_steps: 10,
    max_credits: 100,
    default_priority: "normal",
    ttl_seconds: 86_400,
    approval: { tools: ["request_approval"], tool_prefixes: [], event_types: [] },
    approval_ttl_seconds: 86_400,
    allowed_hosts: [],
    http_tools: [],
    ...p,
  };
}

export const BUILTIN_AGENTS: Record<string, AgentProfile> = {
  general: profile({
    name: "general",
    description: "General work: research, summarise, transform and report.",
    tools: ["http_request", "memory_get", "memory_set", "emit_event", "request_approval", ...FILE_TOOLS, "run_code"],
    system_prompt: `You are a careful general-purpose assistant that carries out tasks for a business team.
Break the task into clear steps, do each one thoroughly, and report plainly what you found or did.${COMMON_RULES}`,
  }),
  orders: profile({
    name: "orders",
    description: "Order operations: look up, update, refund or cancel customer orders.",
    system_prompt: `You handle customer orders for an online business: looking up orders, checking their state,
and issuing refunds or cancellations through the tenant's order tools. Money moves only through the
tools and only for the amount the order supports; a refund or cancellation waits for a person's
approval. Quote order ids and amounts exactly.${COMMON_RULES}`,
    default_priority: "high",
    ttl_seconds: 3600,
    approval: { tools: ["request_approval"], tool_prefixes: ["refund", "cancel"], event_types: [] },
  }),
  support: profile({
    name: "support",
    description: "Customer support: understand the request, look up context, draft and record a reply.",
    system_prompt: `You are a customer support agent. Understand what the customer needs, look up what you are
allowed to look up, remember useful facts about the customer with memory_set, and draft a reply that
is friendly, specific and honest about what will happen next. Escalate with request_approval when
a promise needs a person's sign-off.${COMMON_RULES}`,
    default_priority: "high",
    ttl_seconds: 7200,
  }),
  marketing: profile({
    name: "marketing",
    description: "Marketing content: briefs, drafts, channel variants and publication events.",
    system_prompt: `You write marketing content for a business: campaign briefs, copy and channel variants that
match the brand voice stored in memory. Keep claims accurate. Publishing is an emit_event of type
content.publish, which waits for a person's approval.${COMMON_RULES}`,
    ttl_seconds: 14_400,
    approval: { tools: ["request_approval"], tool_prefixes: [], event_types: ["content.publish"] },
  }),
  ...catalogueAgents(profile, COMMON_RULES),
};

/** Whether a tool call needs a person's approval under the agent's policy (docs/agents.md). */
export function needsApproval(agent: AgentProfile, tool: string, input: unknown): boolean {
  if (tool === "request_approval") return true;
  if (agent.approval.tools.includes(tool)) return true;
  if (agent.approval.tool_prefixes.some((p) => tool.startsWith(p))) return true;
  if (tool === "emit_event" && agent.approval.event_types.length > 0) {
    const type = (input as { type?: unknown } | null)?.type;
    if (typeof type === "string" && agent.approval.event_types.includes(type)) return true;
  }
  const http = agent.http_tools.find((t) => t.name === tool);
  return http?.requires_approval === true;
}
