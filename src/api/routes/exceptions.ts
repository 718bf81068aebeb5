// Exceptions: failed and dead runs waiting for a person (GET /v1/exceptions), and a person's
// resolution of one (POST /v1/runs/:id/resolve).

import { createRoute, z } from "@hono/zod-openapi";
import { ApiError } from "../../domain/errors";
import type { CancelResult } from "../../run/protocol";
import { audit } from "../audit";
import { requireTenant, tenantStub } from "../auth";
import { BODY_ERRORS, errors, json, queryInt, RunCursor, RunIdParams, TENANT_ERRORS, TENANT_SECURITY } from "../schemas/common";
import { ExceptionPage, ResolveBody } from "../schemas/people";
import { Run } from "../schemas/runs";
import { runStub } from "../stubs";
import { jsonBody, router } from "../validation";

export const exceptions = router();
const tags = ["People"];

const list = createRoute({
  method: "get",
  path: "/exceptions",
  operationId: "listExceptions",
  tags,
  security: TENANT_SECURITY,
  summary: "Exceptions",
  description: "Failed and dead runs, newest first, with their last error: `open` until a person resolves or dismisses them.",
  middleware: [requireTenant],
  request: {
    query: z.object({
      status: z.enum(["open", "resolved"], { error: "must be open or resolved" }).optional().default("open"),
      limit: queryInt(1, 100, 50, "Page size"),
      cursor: RunCursor,
    }),
  },
  responses: { 200: json(ExceptionPage, "A page of exceptions"), ...errors("invalid_request", ...TENANT_ERRORS) },
});

exceptions.openapi(list, async (c) => {
  const { status, limit, cursor } = c.req.valid("query");
  return c.json(
    (await tenantStub(c.env, c.get("tenant")).listExceptions(status, limit, cursor ?? null)) as z.infer<typeof ExceptionPage>,
    200,
  );
});

const resolve = createRoute({
  method: "post",
  path: "/runs/{id}/resolve",
  operationId: "resolveRun",
  tags,
  security: TENANT_SECURITY,
  summary: "Resolve or dismiss a failed or dead run",
  description: "Records a person's resolution (with an output they supply) or dismissal; the run's status stays. Resolving twice is 409.",
  middleware: [requireTenant, jsonBody],
  request: { params: RunIdParams, body: { required: true, content: { "application/json": { schema: ResolveBody } } } },
  responses: { 200: json(Run, "The run with its resolution"), ...errors(...BODY_ERRORS, "not_found", "conflict", ...TENANT_ERRORS) },
});

exceptions.openapi(resolve, async (c) => {
  const { id } = c.req.valid("param");
  const body = c.req.valid("json");
  const comment = body.comment ?? null;
  const res = (await runStub(c.env, id).resolve(c.get("tenant"), {
    action: body.action,
    output: body.output ?? null,
    comment,
    actor: c.get("actor"),
  })) as CancelResult;
  if ("error" in res) throw new ApiError(res.error.code, res.error.message);
  const details = { action: body.action, ...(comment === null ? {} : { comment }) };
  await audit(c, { action: "run.resolved", target: { type: "run", id }, details });
  return c.json(res.run as z.infer<typeof Run>, 200);
});
