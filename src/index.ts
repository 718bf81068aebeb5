// The Worker entry: HTTP API and queue consumers (no cron: periodic work runs in Durable Object
// alarms); re-exports the Durable Object classes and the WorkspaceFiles entrypoint of run_code.

import { app } from "./api/app";
import { flushIsolateMetrics } from "./ops/isolate-metrics";
import { handleQueue } from "./queue/consumer";

export { MetricsObject } from "./ops/metrics-object";
export { OpsObject } from "./ops/ops-object";
export { RunObject } from "./run/run-object";
export { WorkspaceFiles } from "./sandbox/workspace-files";
export { TenantObject } from "./tenant/tenant-object";

export default {
  fetch: (request, env, ctx) => app.fetch(request, env, ctx),
  queue: async (batch, env, ctx) => {
    try {
      await handleQueue(batch, env, ctx);
    } finally {
      // What this isolate's consumers counted (model calls) goes to the metrics store.
      ctx.waitUntil(flushIsolateMetrics(env));
    }
  },
} satisfies ExportedHandler<Env>;
