// /v1/approvals: list a tenant's approvals, approve or reject one.

import { createRoute, z } from "@hono/zod-openapi";
import { ApiError } from "../../domain/errors";
import { approvalRun } from "../../run/approvals";
import type { DecideResult } from "../../run/protocol";
import type { ApprovalView } from "../../run/view";
import { audit } from "../audit";
import { requireTenant, tenantStub } from "../auth";
import { BODY_ERRORS, errors, json, queryInt, TENANT_ERRORS, TENANT_SECURITY } from "../schemas/common";
import { APPROVAL_STATUSES, DecideBody } from "../schemas/operations";
import { Approval } from "../schemas/runs";
import { jsonBody, router } from "../validation";

export const approvals = router();
approvals.use("*", requireTenant);
const tags = ["Approvals"];

const list = createRoute({
  method: "get",
  path: "/",
  operationId: "listApprovals",
  tags,
  security: TENANT_SECURITY,
  summary: "List approvals",
  request: {
    query: z.object({
      status: z
        .enum(APPROVAL_STATUSES, { error: `must be one of ${APPROVAL_STATUSES.join(", ")}` })
        .optional()
        .openapi({ description: "Only approvals in this status" }),
      limit: queryInt(1, 100, 100, "Most approvals returned"),
    }),
  },
  responses: {
    200: json(z.object({ approvals: z.array(Approval) }).openapi("ApprovalList"), "Approvals, newest first"),
    ...errors("invalid_request", ...TENANT_ERRORS),
  },
});

approvals.openapi(list, async (c) => {
  const { status, limit } = c.req.valid("query");
  const found = (await tenantStub(c.env, c.get("tenant")).listApprovals(status ?? null, limit)) as ApprovalView[];
  return c.json({ approvals: found }, 200);
});

const decide = createRoute({
  method: "post",
  path: "/{id}",
  operationId: "decideApproval",
  tags,
  security: TENANT_SECURITY,
  summary: "Approve or reject",
  description:
    "Decides a pending approval; the run continues. `input` replaces the tool input on approve. Deciding twice, or after expiry, is 409.",
  middleware: [jsonBody],
  request: {
    params: z.object({ id: z.string().openapi({ param: { name: "id", in: "path" }, description: "An approval id" }) }),
    body: { required: true, content: { "application/json": { schema: DecideBody } } },
  },
  responses: {
    200: json(Approval, "The decided approval"),
    ...errors(...BODY_ERRORS, "not_found", "conflict", ...TENANT_ERRORS),
  },
});

approvals.openapi(decide, async (c) => {
  const { id } = c.req.valid("param");
  const runId = approvalRun(id);
  if (!runId) throw new ApiError("not_found", "approval not found");
  const body = c.req.valid("json");
  const stub = c.env.RUNS.get(c.env.RUNS.idFromName(runId));
  const res = (await stub.decide(c.get("tenant"), id, {
    decision: body.decision,
    comment: body.comment ?? null,
    ...(body.input === undefined ? {} : { input: body.input }),
  })) as DecideResult;
  if ("error" in res)
    throw new ApiError(res.error.code, res.error.message, res.error.code === "invalid_request" ? { field: "input" } : undefined);
  const details = { run_id: runId, decision: body.decision, input_edited: body.input !== undefined };
  await audit(c, { action: "approval.decided", target: { type: "approval", id }, details });
  return c.json(res.approval as z.infer<typeof Approval>, 200);
});
