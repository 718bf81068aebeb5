// The HTTP API: one Hono app described by its OpenAPI document, one error handler rendering the
// error envelope of every failure.

import { HTTPException } from "hono/http-exception";
import { ApiError } from "../domain/errors";
import { newId } from "../domain/ids";
import { errorText, log } from "../ops/log";
import { authenticate } from "./auth";
import { openApiDocument, registerSecuritySchemes } from "./openapi";
import { requestRateLimit } from "./rate-limit";
import { admin } from "./routes/admin";
import { agents } from "./routes/agents";
import { approvals } from "./routes/approvals";
import { auditTrail } from "./routes/audit";
import { dashboard } from "./routes/dashboard";
import { dlq } from "./routes/dlq";
import { events } from "./routes/events";
import { exceptions } from "./routes/exceptions";
import { feedback } from "./routes/feedback";
import { files } from "./routes/files";
import { metrics } from "./routes/metrics";
import { ops } from "./routes/ops";
import { qstash } from "./routes/qstash";
import { runs } from "./routes/runs";
import { openApiRoute, system } from "./routes/system";
import { router } from "./validation";

export const app = router();
registerSecuritySchemes(app);

app.use("*", async (c, next) => {
  c.set("requestId", c.req.header("cf-ray") ?? newId("req"));
  await next();
});

// Tenant routes: the caller is authenticated once (tenant and actor on the context), then the
// per-tenant request limit applies, before any route work.
app.use("/v1/*", authenticate);
app.use("/v1/*", requestRateLimit);

app.route("/", system);
app.openapi(openApiRoute, (c) => c.json(openApiDocument(app) as unknown as Record<string, unknown>, 200));
// QStash deliveries: authenticated by their signature, not by a tenant key.
app.route("/internal/qstash", qstash);
// The dashboard's public configuration (its pages are static assets).
app.route("/dashboard", dashboard);

app.route("/v1/runs", runs);
app.route("/v1/runs", files);
app.route("/v1/agents", agents);
app.route("/v1/admin", admin);
app.route("/v1/dlq", dlq);
app.route("/metrics", metrics);
app.route("/v1/approvals", approvals);
app.route("/v1", events);
app.route("/v1", exceptions);
app.route("/v1", feedback);
app.route("/v1", auditTrail);
app.route("/v1", ops);

app.notFound((c) => c.json({ error: { code: "not_found", message: "no such route" } }, 404));

/** A framework refusal (e.g. a body media type no route declares) in the envelope's terms. */
function fromHttpException(err: HTTPException): ApiError {
  if (err.status === 415) return new ApiError("unsupported_media_type", "send the body as JSON with Content-Type: application/json");
  if (err.status === 413) return new ApiError("payload_too_large", err.message);
  return new ApiError(err.status >= 500 ? "internal" : "invalid_request", err.message);
}

app.onError((e, c) => {
  const err = e instanceof HTTPException ? fromHttpException(e) : e;
  if (err instanceof ApiError) {
    const body = { error: { code: err.code, message: err.message, ...(err.details === undefined ? {} : { details: err.details }) } };
    return c.json(body, err.status as 400, err.headers);
  }
  log.error("api.unhandled_error", "unhandled error", {
    request_id: c.get("requestId"),
    method: c.req.method,
    path: c.req.path,
    tenant: c.get("tenant"),
    error: errorText(err),
  });
  return c.json({ error: { code: "internal", message: `internal error (request ${c.get("requestId")})` } }, 500);
});
