// /v1/runs/:id/files: a run's workspace over HTTP (the listing, and each file's bytes with its
// content type), and the workspace usage shown with the run. Another tenant's run is 404.

import { createRoute, z } from "@hono/zod-openapi";
import { runWorkspace } from "../../deps";
import { ApiError } from "../../domain/errors";
import { RUN_ID_PATTERN } from "../../domain/ids";
import type { WorkspaceUsage } from "../../workspace/run-workspace";
import { requireTenant } from "../auth";
import { errors, json, RunIdParams, TENANT_ERRORS, TENANT_SECURITY } from "../schemas/common";
import { FileList } from "../schemas/runs";
import { runStub } from "../stubs";
import { router } from "../validation";

/** How many files a run's workspace holds and their bytes (`workspace` of GET /v1/runs/:id). */
export function workspaceUsage(env: Env, tenantId: string, runId: string): Promise<WorkspaceUsage> {
  return runWorkspace(env, { tenantId, runId }).usage();
}

/** Mounted at /v1/runs beside the runs routes. */
export const files = router();
files.use("*", requireTenant);
const tags = ["Files"];

const listFiles = createRoute({
  method: "get",
  path: "/{id}/files",
  operationId: "listRunFiles",
  tags,
  security: TENANT_SECURITY,
  summary: "List a run's files",
  request: { params: RunIdParams },
  responses: { 200: json(FileList, "The run's workspace files"), ...errors("not_found", ...TENANT_ERRORS) },
});

files.openapi(listFiles, async (c) => {
  const tenantId = c.get("tenant");
  const runId = c.req.valid("param").id;
  // The listing of a run that is not the caller's is 404, not an empty list.
  if (!(await runStub(c.env, runId).get(tenantId))) throw new ApiError("not_found", "run not found");
  const listed = await runWorkspace(c.env, { tenantId, runId }).list();
  if (!listed.ok) throw new ApiError("internal", listed.error.message);
  return c.json(listed.value, 200);
});

// A file path spans several segments, which an OpenAPI path parameter cannot express to the router:
// the operation is described here and routed below with a pattern that takes the rest of the path.
files.openAPIRegistry.registerPath(
  createRoute({
    method: "get",
    path: "/{id}/files/{path}",
    operationId: "getRunFile",
    tags,
    security: TENANT_SECURITY,
    summary: "Download a run's file",
    description: "The file's bytes with the content type it was written with. `path` may contain `/`.",
    request: {
      params: RunIdParams.extend({
        path: z
          .string()
          .openapi({ param: { name: "path", in: "path" }, description: "The file's path in the workspace", example: "notes/summary.md" }),
      }),
    },
    responses: {
      200: { description: "The file", content: { "*/*": { schema: z.string().openapi({ format: "binary" }) } } },
      ...errors("not_found", ...TENANT_ERRORS),
    },
  }),
);

files.get("/:id/files/:path{.+}", async (c) => {
  const runId = c.req.param("id");
  if (!RUN_ID_PATTERN.test(runId)) throw new ApiError("not_found", "run not found");
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
