// The services tools reach while a run executes: memory, domain events and the signing secret
// (held by the run's tenant object), the run's workspace and the run_code sandbox.

import { exports } from "cloudflare:workers";
import type { ToolServices } from "../agent/tools/tool";
import { config, runWorkspace } from "../deps";

export function toolServices(env: Env, tenantId: string): ToolServices {
  const tenant = () => env.TENANTS.get(env.TENANTS.idFromName(tenantId));
  let secret: Promise<string> | null = null;
  return {
    memoryGet: (agent, key) => tenant().memoryGet(agent, key) as Promise<unknown>,
    memorySet: (agent, key, value) => tenant().memorySet(agent, key, value),
    emitEvent: async (e) => {
      const ev: { id: string } = await tenant().emitEvent({ type: e.type, run_id: e.run_id, agent: e.agent, data: e.data, dedup: null });
      return { id: ev.id };
    },
    signingSecret: () => (secret ??= tenant().signingSecret()),
    development: config(env).environment === "development",
    workspace: (runId) => runWorkspace(env, { tenantId, runId }),
    // The sandbox (and its JavaScript parser) is loaded on the first run_code call. The isolate's
    // only binding is our WorkspaceFiles entrypoint, its props naming this run.
    runCode: async (runId, req) => {
      const { runSandboxed } = await import("../sandbox/sandbox");
      return runSandboxed({ loader: env.LOADER, files: exports.WorkspaceFiles({ props: { tenantId, runId } }) }, req);
    },
  };
}
