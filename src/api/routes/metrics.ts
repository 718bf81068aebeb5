// GET /metrics (admin): the Prometheus text of every edgecrew series (src/ops/scrape.ts).

import { createRoute, z } from "@hono/zod-openapi";
import type { TypedResponse } from "hono";
import { PROMETHEUS_CONTENT_TYPE } from "../../ops/prometheus";
import { scrapeMetrics } from "../../ops/scrape";
import { requireAdmin } from "../auth";
import { ADMIN_SECURITY, errors } from "../schemas/common";
import { router } from "../validation";

export const metrics = router();
metrics.use("*", requireAdmin);

const route = createRoute({
  method: "get",
  path: "/",
  operationId: "getMetrics",
  tags: ["System"],
  security: ADMIN_SECURITY,
  summary: "Prometheus metrics",
  description: "Runs created and finished, durations, queue depth, retries, dead runs, pending approvals, tokens and credits.",
  responses: {
    200: {
      description: `Prometheus text exposition format (\`${PROMETHEUS_CONTENT_TYPE}\`)`,
      content: { "text/plain": { schema: z.string() } },
    },
    ...errors("unauthorized", "not_found", "rate_limited"),
  },
});

// The body is the exposition text with its versioned content type, not a plain c.text() answer.
metrics.openapi(
  route,
  async (c) =>
    c.body(await scrapeMetrics(c.env), 200, {
      "content-type": PROMETHEUS_CONTENT_TYPE,
      "cache-control": "no-store",
    }) as unknown as TypedResponse<string, 200, "text">,
);
