// Building blocks for tool tests: an agent profile, and ToolServices with memory and events kept in
// maps (the tenant object's real services are exercised by the run tests) and the real workspace
// (local R2) and run_code sandbox (local Worker Loader) of the test runtime.

import { env, exports } from "cloudflare:workers";
import { BUILTIN_AGENTS } from "../../src/agent/agents";
import type { ToolContext, ToolServices } from "../../src/agent/tools/tool";
import { runWorkspace } from "../../src/deps";
import type { AgentProfile } from "../../src/domain/types";

/** The tenant of tool contexts built here. */
export const TOOLS_TENANT = "t-tools";

export interface MemoryServices extends ToolServices {
  memory: Map<string, unknown>;
  events: { type: string; data: unknown; run_id: string; agent: string }[];
}

/** ToolServices over plain maps; `development` as given (default true). */
export function memoryServices(development = true, secret = "whsec_dGVzdC1zZWNyZXQtZm9yLWh0dHAtdG9vbHM"): MemoryServices {
  const memory = new Map<string, unknown>();
  const events: MemoryServices["events"] = [];
  return {
    memory,
    events,
    development,
    memoryGet: async (agent, key) => memory.get(`${agent}/${key}`) ?? null,
    memorySet: async (agent, key, value) => {
      memory.set(`${agent}/${key}`, value);
    },
    emitEvent: async (e) => {
      events.push(e);
      return { id: `evt_${events.length}` };
    },
    signingSecret: async () => secret,
    workspace: (runId) => runWorkspace(env, { tenantId: TOOLS_TENANT, runId }),
    // Code that calls `files` waits forever under the vitest plugin, which does not serve calls
    // from loaded isolates back into the Worker: run_code's tests run against the real Worker.
    runCode: async (runId, req) => {
      const { runSandboxed } = await import("../../src/sandbox/sandbox");
      return runSandboxed({ loader: env.LOADER, files: exports.WorkspaceFiles({ props: { tenantId: TOOLS_TENANT, runId } }) }, req);
    },
  };
}

/** A tool context for a `general`-based agent with the given changes. */
export function toolContext(agent: Partial<AgentProfile> = {}, services: ToolServices = memoryServices()): ToolContext {
  return { tenantId: TOOLS_TENANT, runId: "run_test", agent: { ...(BUILTIN_AGENTS.general as AgentProfile), ...agent }, step: 1, services };
}
