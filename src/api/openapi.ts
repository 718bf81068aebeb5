// The OpenAPI 3.1 document of the API, generated from the route schemas that validate requests.

import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "./app-env";
import { SECURITY_SCHEMES } from "./schemas/common";

const DESCRIPTION = `Durable AI-agent runs on Cloudflare Workers.

Every error is the envelope \`{ "error": { "code", "message", "details"? } }\`; a schema violation is
\`400 invalid_request\` whose \`details.field\` names the field. Another tenant's resource is always 404.`;

/** Adds the security schemes the operations refer to (once, when the app is built). */
export function registerSecuritySchemes(app: OpenAPIHono<AppEnv>): void {
  for (const [name, scheme] of Object.entries(SECURITY_SCHEMES)) app.openAPIRegistry.registerComponent("securitySchemes", name, scheme);
}

let cached: ReturnType<typeof generate> | null = null;

/** The document of `app` (its routes and schemas), as served by GET /openapi.json; built once an isolate. */
export function openApiDocument(app: OpenAPIHono<AppEnv>) {
  cached ??= generate(app);
  return cached;
}

function generate(app: OpenAPIHono<AppEnv>) {
  return app.getOpenAPI31Document({
    openapi: "3.1.0",
    info: { title: "edgecrew API", version: "1.0.0", description: DESCRIPTION },
    servers: [{ url: "http://localhost:8787", description: "Local development (npm start)" }],
    tags: [
      { name: "Runs", description: "Create runs, follow their logs, cancel and retry them" },
      { name: "Files", description: "A run's workspace files" },
      { name: "Approvals", description: "People approving or rejecting tool calls" },
      { name: "Agents", description: "Built-in and custom agent profiles" },
      { name: "People", description: "Exceptions and their resolution, feedback and its training export, the audit trail" },
      { name: "Operations", description: "Queues, workers, credits, dead-letter queue, events and webhooks" },
      { name: "Admin", description: "Tenants, API keys and credit top-ups (ADMIN_TOKEN)" },
      { name: "System", description: "Health, readiness, metrics and this document" },
    ],
  });
}
