// Request validation at the edge: JSON bodies are read with the project's limits (415, 413, depth)
// before their schema runs, and a schema violation is rendered as the error envelope naming the field.

import { type Hook, OpenAPIHono } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import type { z } from "zod";
import { ApiError, type ApiErrorCode } from "../domain/errors";
import type { AppEnv } from "./app-env";
import { readJsonObject, readOptionalJsonObject } from "./http";

/** A field path as the API names it: `http_tools[0].name`. */
function fieldName(path: readonly PropertyKey[]): string {
  let out = "";
  for (const p of path) out += typeof p === "number" ? `[${p}]` : out === "" ? String(p) : `.${String(p)}`;
  return out;
}

/** The issue to report: an unknown field first (as a person reads the body top-down), else the first. */
function firstIssue(issues: readonly z.core.$ZodIssue[]): z.core.$ZodIssue | undefined {
  return issues.find((i) => i.code === "unrecognized_keys") ?? issues[0];
}

/** The `ApiError` of a failed validation of `target` (json body, query, header or path parameter). */
export function validationError(target: string, error: z.ZodError): ApiError {
  const issue = firstIssue(error.issues);
  if (!issue) return new ApiError("invalid_request", "the request is invalid");
  if (target === "param") return new ApiError("not_found", issue.message);
  let field = fieldName(issue.path);
  let message = issue.message;
  if (issue.code === "unrecognized_keys") {
    field = fieldName([...issue.path, issue.keys[0] ?? ""]);
    message = "unknown field";
  }
  // A schema may set the code (e.g. payload_too_large), the details, or a message read as is.
  const params = (issue as { params?: { code?: ApiErrorCode; details?: unknown; raw?: boolean } }).params ?? {};
  const code = params.code ?? "invalid_request";
  if (field === "") return new ApiError(code, message);
  const details = params.details ?? { field };
  if (params.raw) return new ApiError(code, message, details);
  // Body fields read `field: problem`; query and header parameters read `name problem`.
  return new ApiError(code, target === "json" ? `${field}: ${message}` : `${field} ${message}`, details);
}

/** The hook every route's validators share: success passes, failure throws the envelope's error. */
export const validationHook: Hook<unknown, AppEnv, string, undefined> = (result) => {
  if (!result.success) throw validationError((result as { target?: string }).target ?? "json", result.error as z.ZodError);
};

/** A router whose routes are described in the OpenAPI document and validated by their schemas. */
export const router = () => new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

/**
 * Reads the JSON object body with the project's limits and leaves it where the body validator
 * finds it, so a wrong media type is 415, an oversized body 413 and a too-deep one 400, in that order.
 */
export const jsonBody: MiddlewareHandler<AppEnv> = async (c, next) => {
  const { text } = await readJsonObject(c);
  (c.req.bodyCache as { text?: Promise<string> }).text = Promise.resolve(text);
  await next();
};

/** As `jsonBody`, for a body that may be left out: no body (or an empty one) validates as `{}`. */
export const optionalJsonBody: MiddlewareHandler<AppEnv> = async (c, next) => {
  const body = await readOptionalJsonObject(c);
  (c.req.bodyCache as { text?: Promise<string> }).text = Promise.resolve(JSON.stringify(body));
  await next();
};
