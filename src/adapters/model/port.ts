// The ModelClient port: one Messages-API-shaped call. Adapters: scripted (offline), anthropic.

import type { Usage } from "../../domain/types";

export type ContentBlock =
  | { type: "text"; text: string }
  | { type: "tool_use"; id: string; name: string; input: unknown }
  | { type: "tool_result"; tool_use_id: string; content: string; is_error?: boolean };

export interface ModelMessage {
  role: "user" | "assistant";
  content: string | ContentBlock[];
}

export interface ModelTool {
  name: string;
  description: string;
  input_schema: Record<string, unknown>;
}

export interface ModelRequest {
  model: string;
  system: string;
  messages: ModelMessage[];
  tools: ModelTool[];
  tool_choice?: { type: "auto" } | { type: "any" } | { type: "tool"; name: string };
  max_tokens: number;
}

export interface ModelResponse {
  content: ContentBlock[];
  stop_reason: string | null;
  usage: Usage;
  model: string;
}

/** Where a call stands in its run, so a deterministic model can keep counts across retries. */
export interface CallContext {
  runId: string;
  /** The run's tenant, for the log line of a failed call. */
  tenantId?: string;
  /** 0 for the planner, 1.. for plan steps. */
  step: number;
  /** Attempt of this step, starting at 1; grows with every retry or redelivery. */
  attempt: number;
  /** Model calls already made in this attempt of the step, starting at 0. */
  call: number;
  /** Model calls for this step that failed in earlier attempts. */
  failedCalls: number;
  /** Aborted when the run no longer wants this call (canceled, lease taken); the call then rejects with its reason. */
  signal?: AbortSignal;
}

/**
 * A model endpoint. Throws `RunFailure` with a classified code (transient codes carry the
 * `retry-after` in ms when the service sent one); never retries on its own.
 */
export interface ModelClient {
  readonly provider: "scripted" | "anthropic";
  createMessage(request: ModelRequest, ctx: CallContext): Promise<ModelResponse>;
}
