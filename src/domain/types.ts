// Shared domain types: runs, steps, events, agents, usage. No Workers or vendor imports.

export type Priority = "high" | "normal" | "low";
export const PRIORITIES: readonly Priority[] = ["high", "normal", "low"];

/** Every run status, in lifecycle order. The transition table is in src/run/state.ts. */
export const RUN_STATUSES = [
  "scheduled",
  "queued",
  "running",
  "awaiting_approval",
  "succeeded",
  "failed",
  "canceled",
  "expired",
  "dead",
] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** The statuses that end a run; each is entered with exactly one final event (`run.<status>`). */
export const FINAL_STATUSES = ["succeeded", "failed", "canceled", "expired", "dead"] as const satisfies readonly RunStatus[];
export type FinalStatus = (typeof FINAL_STATUSES)[number];

export type EventType =
  | "run.created"
  | "run.scheduled"
  | "run.queued"
  | "run.input_replaced"
  | "run.resolved"
  | "run.started"
  | "plan.created"
  | "step.started"
  | "model.call"
  | "tool.call"
  | "tool.result"
  | "step.completed"
  | "step.failed"
  | "retry.scheduled"
  | "approval.requested"
  | "approval.decided"
  | "credits.charged"
  | "log"
  | "run.succeeded"
  | "run.failed"
  | "run.canceled"
  | "run.expired"
  | "run.dead";

export type EventLevel = "debug" | "info" | "warn" | "error";

/** One entry of a run's log. `seq` starts at 1 and has no gaps within a run. */
export interface RunEvent {
  seq: number;
  ts: string;
  type: EventType;
  level: EventLevel;
  message: string;
  data?: unknown;
}

/** An event before the run's journal gives it a `seq` and `ts`. */
export type NewEvent = Omit<RunEvent, "seq" | "ts">;

/** Token usage of one or more model calls. */
export interface Usage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
}

export const ZERO_USAGE: Usage = {
  input_tokens: 0,
  output_tokens: 0,
  cache_creation_input_tokens: 0,
  cache_read_input_tokens: 0,
};

export function addUsage(a: Usage, b: Partial<Usage>): Usage {
  return {
    input_tokens: a.input_tokens + (b.input_tokens ?? 0),
    output_tokens: a.output_tokens + (b.output_tokens ?? 0),
    cache_creation_input_tokens: a.cache_creation_input_tokens + (b.cache_creation_input_tokens ?? 0),
    cache_read_input_tokens: a.cache_read_input_tokens + (b.cache_read_input_tokens ?? 0),
  };
}

export interface PlanStep {
  title: string;
  instructions: string;
}

/** A tenant HTTP tool: called as a signed POST of the tool input. */
export interface HttpTool {
  name: string;
  description: string;
  input_schema: Record<string, unknown>;
  url: string;
  requires_approval: boolean;
}

/** A named agent profile (built-in or tenant-defined). A run stores a snapshot of it. */
export interface AgentProfile {
  name: string;
  builtin: boolean;
  description: string;
  system_prompt: string;
  /** Model id; empty means the deployment's `ANTHROPIC_MODEL`. */
  model: string;
  tools: string[];
  max_steps: number;
  max_credits: number;
  default_priority: Priority;
  ttl_seconds: number;
  approval: { tools: string[]; tool_prefixes: string[]; event_types: string[] };
  approval_ttl_seconds: number;
  allowed_hosts: string[];
  http_tools: HttpTool[];
}

/** Queue counts of one tenant as GET /v1/queues shows them. */
export interface QueueStats {
  lanes: Record<Priority, { queued: number; running: number }>;
  awaiting_approval: number;
  scheduled: number;
  retrying: number;
  dead: number;
}
