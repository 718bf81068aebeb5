// The tool contract: what a tool receives and returns when the supervisor executes a tool_use.

import type { AgentProfile } from "../../domain/types";
import type { CodeOutcome, CodeRequest } from "../../sandbox/sandbox";
import type { RunWorkspace } from "../../workspace/run-workspace";

/** Services tools reach through the tenant; implemented by the queue worker. */
export interface ToolServices {
  memoryGet(agent: string, key: string): Promise<unknown>;
  memorySet(agent: string, key: string, value: unknown): Promise<void>;
  emitEvent(event: { type: string; data: unknown; run_id: string; agent: string }): Promise<{ id: string }>;
  /** The tenant's secret for signing HTTP tool calls. */
  signingSecret(): Promise<string>;
  /** Whether plain http and loopback hosts are allowed (development only). */
  development: boolean;
  /** The workspace (files) of one of this tenant's runs. */
  workspace(runId: string): RunWorkspace;
  /** Runs `run_code` in a fresh isolate that reaches only this run's workspace. */
  runCode(runId: string, req: CodeRequest): Promise<CodeOutcome>;
}

export interface ToolContext {
  tenantId: string;
  runId: string;
  agent: AgentProfile;
  step: number;
  services: ToolServices;
  /** Aborted when the run stops wanting this unit (canceled, lease taken): tools stop their I/O. */
  signal?: AbortSignal;
}

/** A tool's answer: `ok: false` goes back to the model as a tool_result with is_error. */
export type ToolResult = { ok: true; value: unknown } | { ok: false; error: string };

export interface ToolDefinition {
  name: string;
  description: string;
  input_schema: Record<string, unknown>;
  /** Runs the tool. Throws RunFailure for transient infrastructure errors (retried durably). */
  run(input: unknown, ctx: ToolContext): Promise<ToolResult>;
}
