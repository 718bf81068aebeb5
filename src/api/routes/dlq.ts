// Dead-letter operations: list dead runs with their last error, redrive them.

import { createRoute, z } from "@hono/zod-openapi";
import { RUN_ID_PATTERN } from "../../domain/ids";
import type { RetryResult } from "../../run/protocol";
import type { TenantError } from "../../tenant/protocol";
import { requireTenant, tenantStub } from "../auth";
import { BODY_ERRORS, errors, json, queryInt, RunCursor, TENANT_ERRORS, TENANT_SECURITY } from "../schemas/common";
import { DeadRunList, MAX_REDRIVE, RedriveBody, RedriveResult } from "../schemas/operations";
import { jsonBody, router } from "../validation";

export const dlq = router();
dlq.use("*", requireTenant);
const tags = ["Operations"];

const list = createRoute({
  method: "get",
  path: "/",
  operationId: "listDeadRuns",
  tags,
  security: TENANT_SECURITY,
  summary: "Dead-letter queue",
  description: "Dead runs (transient errors, retries exhausted) with their last error, newest first.",
  request: {
    query: z.object({
      limit: queryInt(1, 100, 50, "Page size"),
      cursor: RunCursor,
    }),
  },
  responses: { 200: json(DeadRunList, "A page of dead runs"), ...errors("invalid_request", ...TENANT_ERRORS) },
});

dlq.openapi(list, async (c) => {
  const { limit, cursor } = c.req.valid("query");
  return c.json((await tenantStub(c.env, c.get("tenant")).deadRuns(limit, cursor ?? null)) as z.infer<typeof DeadRunList>, 200);
});

const redrive = createRoute({
  method: "post",
  path: "/redrive",
  operationId: "redriveDeadRuns",
  tags,
  security: TENANT_SECURITY,
  summary: "Redrive dead runs",
  description: `Queues the given dead runs (or all, up to ${MAX_REDRIVE} a request) again, each resuming after its last completed step.`,
  middleware: [jsonBody],
  request: { body: { required: true, content: { "application/json": { schema: RedriveBody } } } },
  responses: {
    200: json(RedriveResult, "How many runs were redriven, and each id's outcome"),
    ...errors(...BODY_ERRORS, ...TENANT_ERRORS),
  },
});

dlq.openapi(redrive, async (c) => {
  const body = c.req.valid("json");
  const tenant = tenantStub(c.env, c.get("tenant"));
  let ids: string[];
  if (body.all === true) {
    ids = [];
    let cursor: string | null = null;
    while (ids.length < MAX_REDRIVE) {
      const page: { runs: { id: string }[]; next_cursor: string | null } = await tenant.deadRuns(100, cursor);
      ids.push(...page.runs.map((r) => r.id));
      if (!page.next_cursor) break;
      cursor = page.next_cursor;
    }
  } else {
    ids = body.ids ?? [];
  }
  const results = await Promise.all(
    ids.map(async (id) => {
      if (!RUN_ID_PATTERN.test(id)) return { id, redriven: false, error: "not_found" };
      const res = (await tenant.retryRun(c.get("tenant"), id, {}, { actor: c.get("actor"), action: "run.redriven" })) as
        | RetryResult
        | TenantError;
      return "error" in res ? { id, redriven: false, error: res.error.code } : { id, redriven: true };
    }),
  );
  return c.json({ redriven: results.filter((r) => r.redriven).length, results }, 200);
});
