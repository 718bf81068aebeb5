// Building blocks for tool tests: an agent profile, and ToolServices kept in memory (the tenant
// object's real services are exercised by the run tests).

import { BUILTIN_AGENTS } from "../../src/agent/agents";
import type { ToolContext, ToolServices } from "../../src/agent/tools/tool";
import type { AgentProfile } from "../../src/domain/types";

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
  };
}

/** A tool context for a `general`-based agent with the given changes. */
export function toolContext(agent: Partial<AgentProfile> = {}, services: ToolServices = memoryServices()): ToolContext {
  return { tenantId: "t-tools", runId: "run_test", agent: { ...(BUILTIN_AGENTS.general as AgentProfile), ...agent }, step: 1, services };
}
