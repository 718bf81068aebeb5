// Dead-letter operations: list dead runs with their last error, redrive them.

import { Hono } from "hono";
import { ApiError } from "../../domain/errors";
import { RUN_ID_PATTERN } from "../../domain/ids";
import type { RetryResult } from "../../run/protocol";
import type { TenantError } from "../../tenant/protocol";
import type { AppEnv } from "../app-env";
import { requireTenant, tenantStub } from "../auth";
import { queryInt, readJsonObject } from "../http";

/** At most this many runs are redriven by one `all: true` request; call again for more. */
export const MAX_REDRIVE = 500;

export const dlq = new Hono<AppEnv>();
dlq.use("*", requireTenant);

dlq.get("/", async (c) => {
  const limit = queryInt(c, "limit", 1, 100, 50);
  const cursor = c.req.query("cursor") ?? null;
  if (cursor !== null && !RUN_ID_PATTERN.test(cursor)) throw new ApiError("invalid_request", "cursor is not valid", { field: "cursor" });
  return c.json(await tenantStub(c.env, c.get("tenant")).deadRuns(limit, cursor));
});

dlq.post("/redrive", async (c) => {
  const { body } = await readJsonObject(c);
  const tenant = tenantStub(c.env, c.get("tenant"));
  let ids: string[];
  if (body.all === true) {
    if (body.ids !== undefined) throw new ApiError("invalid_request", "ids: send either ids or all, not both", { field: "ids" });
    ids = [];
    let cursor: string | null = null;
    while (ids.length < MAX_REDRIVE) {
      const page: { runs: { id: string }[]; next_cursor: string | null } = await tenant.deadRuns(100, cursor);
      ids.push(...page.runs.map((r) => r.id));
      if (!page.next_cursor) break;
      cursor = page.next_cursor;
    }
  } else if (
    Array.isArray(body.ids) &&
    body.ids.length > 0 &&
    body.ids.length <= MAX_REDRIVE &&
    body.ids.every((i) => typeof i === "string")
  ) {
    ids = body.ids as string[];
  } else {
    throw new ApiError("invalid_request", `ids: an array of 1 to ${MAX_REDRIVE} run ids, or all: true`, { field: "ids" });
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
  return c.json({ redriven: results.filter((r) => r.redriven).length, results });
});
