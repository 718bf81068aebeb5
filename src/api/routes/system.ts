// Routes of the deployment itself, without authentication: liveness, readiness and the API document.

import { createRoute, z } from "@hono/zod-openapi";
import { errors, json, NO_SECURITY } from "../schemas/common";
import { router } from "../validation";
import { readyz } from "./readyz";

export const system = router();
const tags = ["System"];

const healthz = createRoute({
  method: "get",
  path: "/healthz",
  operationId: "getHealth",
  tags,
  summary: "Liveness",
  security: NO_SECURITY,
  responses: { 200: json(z.object({ ok: z.literal(true) }), "The Worker answers"), ...errors() },
});
system.openapi(healthz, (c) => c.json({ ok: true as const }, 200));

const Adapters = z
  .object({
    model: z.string(),
    heartbeats: z.string(),
    scheduler: z.string(),
    ledger: z.string(),
    archive: z.string(),
    auth: z.string(),
  })
  .openapi("Adapters", { description: "The adapter in use for each port" });

const ready = createRoute({
  method: "get",
  path: "/readyz",
  operationId: "getReadiness",
  tags,
  summary: "Readiness",
  description:
    "200 when a model is configured, the API-key signing secret is usable and every configured external adapter works; else 503 naming each failing adapter with its fix (no secret is shown).",
  security: NO_SECURITY,
  responses: {
    200: json(z.object({ ok: z.literal(true), adapters: Adapters }).openapi("Ready"), "Ready"),
    ...errors("unavailable"),
  },
});
system.openapi(ready, readyz);

export const openApiRoute = createRoute({
  method: "get",
  path: "/openapi.json",
  operationId: "getOpenApiDocument",
  tags,
  summary: "This API's OpenAPI 3.1 document",
  security: NO_SECURITY,
  responses: {
    200: json(z.record(z.string(), z.unknown()).openapi({ description: "An OpenAPI 3.1 document" }), "The document"),
    ...errors(),
  },
});
