// The HTTP API: one Hono app, one error handler rendering the error envelope of every failure.

import { Hono } from "hono";
import { ApiError } from "../domain/errors";
import { newId } from "../domain/ids";
import { errorText, log } from "../ops/log";
import type { AppEnv } from "./app-env";
import { authenticate } from "./auth";
import { requestRateLimit } from "./rate-limit";
import { admin } from "./routes/admin";
import { agents } from "./routes/agents";
import { approvals } from "./routes/approvals";
import { auditTrail } from "./routes/audit";
import { dlq } from "./routes/dlq";
import { events } from "./routes/events";
import { exceptions } from "./routes/exceptions";
import { feedback } from "./routes/feedback";
import { files } from "./routes/files";
import { metrics } from "./routes/metrics";
import { ops } from "./routes/ops";
import { qstash } from "./routes/qstash";
import { readyz } from "./routes/readyz";
import { runs } from "./routes/runs";

export const app = new Hono<AppEnv>();

app.use("*", async (c, next) => {
  c.set("requestId", c.req.header("cf-ray") ?? newId("req"));
  await next();
});

// Tenant routes: the caller is authenticated once (tenant and actor on the context), then the
// per-tenant request limit applies, before any route work.
app.use("/v1/*", authenticate);
app.use("/v1/*", requestRateLimit);

app.get("/healthz", (c) => c.json({ ok: true }));
app.get("/readyz", readyz);
// QStash deliveries: authenticated by their signature, not by a tenant key.
app.route("/internal/qstash", qstash);

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

app.onError((err, c) => {
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
