// GET /metrics (admin): the Prometheus text of every edgecrew series (src/ops/scrape.ts).

import { Hono } from "hono";
import { PROMETHEUS_CONTENT_TYPE } from "../../ops/prometheus";
import { scrapeMetrics } from "../../ops/scrape";
import type { AppEnv } from "../app-env";
import { requireAdmin } from "../auth";

export const metrics = new Hono<AppEnv>();
metrics.use("*", requireAdmin);

metrics.get("/", async (c) =>
  c.body(await scrapeMetrics(c.env), 200, { "content-type": PROMETHEUS_CONTENT_TYPE, "cache-control": "no-store" }),
);
