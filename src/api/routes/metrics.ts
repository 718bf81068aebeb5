// GET /metrics (admin): Prometheus text of the series of src/ops/metrics.ts, merged from the metrics shards.

import { Hono } from "hono";
import { FAMILIES } from "../../ops/metrics";
import { collectMetrics } from "../../ops/metrics-object";
import { PROMETHEUS_CONTENT_TYPE, renderPrometheus } from "../../ops/prometheus";
import type { AppEnv } from "../app-env";
import { requireAdmin } from "../auth";

export const metrics = new Hono<AppEnv>();
metrics.use("*", requireAdmin);

metrics.get("/", async (c) => {
  const text = renderPrometheus(FAMILIES, await collectMetrics(c.env.METRICS));
  return c.body(text, 200, { "content-type": PROMETHEUS_CONTENT_TYPE, "cache-control": "no-store" });
});
