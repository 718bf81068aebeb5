// The Worker entry: HTTP API, queue consumers and cron; re-exports the Durable Object classes.

import { app } from "./api/app";
import { flushIsolateMetrics } from "./ops/isolate-metrics";
import { handleQueue } from "./queue/consumer";

export { OpsObject } from "./adapters/heartbeats/durable";
export { MetricsObject } from "./ops/metrics-object";
export { RunObject } from "./run/run-object";
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
