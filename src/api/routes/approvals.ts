// /v1/approvals: list a tenant's approvals, approve or reject one.

import { Hono } from "hono";
import { ApiError } from "../../domain/errors";
import { approvalRun } from "../../run/approvals";
import type { DecideResult } from "../../run/protocol";
import type { ApprovalView } from "../../run/view";
import type { AppEnv } from "../app-env";
import { audit } from "../audit";
import { requireTenant, tenantStub } from "../auth";
import { queryInt, readJsonObject } from "../http";

const STATUSES = ["pending", "approved", "rejected", "expired"];

export const approvals = new Hono<AppEnv>();
approvals.use("*", requireTenant);

approvals.get("/", async (c) => {
  const status = c.req.query("status") ?? null;
  if (status !== null && !STATUSES.includes(status))
    throw new ApiError("invalid_request", `status must be one of ${STATUSES.join(", ")}`, { field: "status" });
  const limit = queryInt(c, "limit", 1, 100, 100);
  const list = (await tenantStub(c.env, c.get("tenant")).listApprovals(status, limit)) as ApprovalView[];
  return c.json({ approvals: list });
});

approvals.post("/:id", async (c) => {
  const runId = approvalRun(c.req.param("id"));
  if (!runId) throw new ApiError("not_found", "approval not found");
  const { body } = await readJsonObject(c);
  for (const k of Object.keys(body))
    if (!["decision", "comment", "input"].includes(k)) throw new ApiError("invalid_request", `${k}: unknown field`, { field: k });
  if (body.decision !== "approve" && body.decision !== "reject")
    throw new ApiError("invalid_request", 'decision: must be "approve" or "reject"', { field: "decision" });
  if (body.comment !== undefined && body.comment !== null && (typeof body.comment !== "string" || body.comment.length > 2000)) {
    throw new ApiError("invalid_request", "comment: a string of at most 2000 characters", { field: "comment" });
  }
  if (body.input !== undefined && body.decision !== "approve")
    throw new ApiError("invalid_request", "input: only an approval may replace the tool input", { field: "input" });
  const stub = c.env.RUNS.get(c.env.RUNS.idFromName(runId));
  const res = (await stub.decide(c.get("tenant"), c.req.param("id"), {
    decision: body.decision,
    comment: (body.comment as string | undefined) ?? null,
    ...(body.input === undefined ? {} : { input: body.input }),
  })) as DecideResult;
  if ("error" in res)
    throw new ApiError(res.error.code, res.error.message, res.error.code === "invalid_request" ? { field: "input" } : undefined);
  const details = { run_id: runId, decision: body.decision, input_edited: body.input !== undefined };
  await audit(c, { action: "approval.decided", target: { type: "approval", id: c.req.param("id") }, details });
  return c.json(res.approval);
});
