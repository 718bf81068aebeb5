// Exceptions: failed and dead runs waiting for a person (GET /v1/exceptions), and a person's
// resolution of one (POST /v1/runs/:id/resolve).

import { Hono } from "hono";
import { ApiError } from "../../domain/errors";
import { RUN_ID_PATTERN } from "../../domain/ids";
import type { CancelResult } from "../../run/protocol";
import type { AppEnv } from "../app-env";
import { audit } from "../audit";
import { requireTenant, tenantStub } from "../auth";
import { jsonBytes, queryInt, readJsonObject } from "../http";
import { MAX_INPUT_BYTES } from "../schemas";
import { runStub } from "../stubs";

const ACTIONS = ["resolved", "dismissed"] as const;
const invalid = (field: string, message: string) => new ApiError("invalid_request", `${field}: ${message}`, { field });

export const exceptions = new Hono<AppEnv>();

exceptions.get("/exceptions", requireTenant, async (c) => {
  const status = c.req.query("status") ?? "open";
  if (status !== "open" && status !== "resolved") throw invalid("status", "must be open or resolved");
  const limit = queryInt(c, "limit", 1, 100, 50);
  const cursor = c.req.query("cursor") ?? null;
  if (cursor !== null && !RUN_ID_PATTERN.test(cursor)) throw invalid("cursor", "is not valid");
  return c.json(await tenantStub(c.env, c.get("tenant")).listExceptions(status, limit, cursor));
});

exceptions.post("/runs/:id/resolve", requireTenant, async (c) => {
  const id = c.req.param("id");
  const stub = runStub(c.env, id);
  const { body } = await readJsonObject(c);
  for (const k of Object.keys(body)) if (!["action", "output", "comment"].includes(k)) throw invalid(k, "unknown field");
  const action = body.action;
  if (!ACTIONS.includes(action as (typeof ACTIONS)[number])) throw invalid("action", 'must be "resolved" or "dismissed"');
  if (body.output !== undefined && action !== "resolved") throw invalid("output", 'only an action "resolved" supplies an output');
  if (body.output !== undefined && jsonBytes(body.output) > MAX_INPUT_BYTES)
    throw new ApiError("payload_too_large", `output is over ${MAX_INPUT_BYTES} bytes`, { field: "output" });
  const comment = body.comment ?? null;
  if (comment !== null && (typeof comment !== "string" || comment.length > 2000))
    throw invalid("comment", "a string of at most 2000 characters");
  const res = (await stub.resolve(c.get("tenant"), {
    action: action as (typeof ACTIONS)[number],
    output: body.output ?? null,
    comment,
    actor: c.get("actor"),
  })) as CancelResult;
  if ("error" in res) throw new ApiError(res.error.code, res.error.message);
  await audit(c, { action: "run.resolved", target: { type: "run", id }, details: { action, ...(comment === null ? {} : { comment }) } });
  return c.json(res.run);
});
