// /v1/runs/:id/files: a run's workspace over HTTP (the listing, and each file's bytes with its
// content type), and the workspace usage shown with the run. Another tenant's run is 404.

import { Hono } from "hono";
import { runWorkspace } from "../../deps";
import { ApiError } from "../../domain/errors";
import { RUN_ID_PATTERN } from "../../domain/ids";
import type { WorkspaceUsage } from "../../workspace/run-workspace";
import type { AppEnv } from "../app-env";
import { requireTenant } from "../auth";
import { runStub } from "../stubs";

/** The run id of a request, or 404 when it cannot be one. */
function runIdParam(id: string): string {
  if (!RUN_ID_PATTERN.test(id)) throw new ApiError("not_found", "run not found");
  return id;
}

/** How many files a run's workspace holds and their bytes (`workspace` of GET /v1/runs/:id). */
export function workspaceUsage(env: Env, tenantId: string, runId: string): Promise<WorkspaceUsage> {
  return runWorkspace(env, { tenantId, runId }).usage();
}

/** Mounted at /v1/runs beside the runs routes. */
export const files = new Hono<AppEnv>();

files.use("*", requireTenant);

files.get("/:id/files", async (c) => {
  const tenantId = c.get("tenant");
  const runId = runIdParam(c.req.param("id"));
  // The listing of a run that is not the caller's is 404, not an empty list.
  if (!(await runStub(c.env, runId).get(tenantId))) throw new ApiError("not_found", "run not found");
  const listed = await runWorkspace(c.env, { tenantId, runId }).list();
  if (!listed.ok) throw new ApiError("internal", listed.error.message);
  return c.json(listed.value);
});

files.get("/:id/files/:path{.+}", async (c) => {
  const runId = runIdParam(c.req.param("id"));
  // Keys hold the caller's tenant id, so another tenant's file is simply not there: 404.
  const file = await runWorkspace(c.env, { tenantId: c.get("tenant"), runId }).open(c.req.param("path"));
  if (!file) throw new ApiError("not_found", "file not found");
  return new Response(file.body, {
    headers: {
      "content-type": file.contentType,
      "content-length": String(file.size),
      // Files are written by agents: never let a browser run them as a page of this origin.
      "content-security-policy": "sandbox",
      "x-content-type-options": "nosniff",
      "cache-control": "private, no-cache",
    },
  });
});
