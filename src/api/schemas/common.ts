// Shared pieces of the API description: the error envelope per status, the security schemes and
// the response maps every operation lists.

import { z } from "@hono/zod-openapi";
import { type ApiErrorCode, API_ERROR_STATUS as STATUS } from "../../domain/errors";
import { RUN_ID_PATTERN } from "../../domain/ids";

const TITLES: Record<ApiErrorCode, string> = {
  invalid_request: "The request is invalid; `details.field` names the field when one is at fault",
  unauthorized: "Missing, invalid or revoked credentials",
  insufficient_credits: "Not enough credits available",
  not_found: "No such resource for this caller (another tenant's resource is also 404)",
  conflict: "The transition is not allowed, or an idempotency key was reused with another body",
  payload_too_large: "The body is over 128 KB, or a field is over its own limit",
  unsupported_media_type: "The body must be sent as application/json",
  rate_limited: "Too many requests; retry after the `Retry-After` seconds",
  internal: "An unexpected error (no stack trace or secret is shown)",
  unavailable: "A dependency is unavailable or not configured; retry later",
};

const NAMES: Record<ApiErrorCode, string> = {
  invalid_request: "InvalidRequestError",
  unauthorized: "UnauthorizedError",
  insufficient_credits: "InsufficientCreditsError",
  not_found: "NotFoundError",
  conflict: "ConflictError",
  payload_too_large: "PayloadTooLargeError",
  unsupported_media_type: "UnsupportedMediaTypeError",
  rate_limited: "RateLimitedError",
  internal: "InternalError",
  unavailable: "UnavailableError",
};

/** The error envelope with its `code` fixed to one value (each status has exactly one code). */
function envelope(code: ApiErrorCode) {
  return z
    .object({
      error: z.object({
        code: z.literal(code),
        message: z.string().openapi({ description: "What went wrong, for a person" }),
        details: z.unknown().optional().openapi({ description: "Structured detail, e.g. `{ field }` for a schema violation" }),
      }),
    })
    .openapi(NAMES[code], { description: TITLES[code] });
}

const ENVELOPES = Object.fromEntries((Object.keys(STATUS) as ApiErrorCode[]).map((code) => [code, envelope(code)])) as Record<
  ApiErrorCode,
  ReturnType<typeof envelope>
>;

const retryAfter = {
  "Retry-After": { description: "Seconds to wait before retrying", schema: { type: "integer" as const, minimum: 0 } },
};

/** The responses of the given error codes, keyed by status (every operation also lists `internal`). */
export function errors(...codes: ApiErrorCode[]) {
  const out: Record<number, { description: string; content: { "application/json": { schema: z.ZodType } }; headers?: typeof retryAfter }> =
    {};
  for (const code of new Set<ApiErrorCode>([...codes, "internal"])) {
    out[STATUS[code]] = {
      description: TITLES[code],
      content: { "application/json": { schema: ENVELOPES[code] } },
      ...(code === "rate_limited" ? { headers: retryAfter } : {}),
    };
  }
  return out;
}

/** Errors of every tenant route: authentication and the per-tenant request limit. */
export const TENANT_ERRORS: ApiErrorCode[] = ["unauthorized", "rate_limited", "unavailable"];
/** Errors every route reading a JSON body can answer before its own checks. */
export const BODY_ERRORS: ApiErrorCode[] = ["invalid_request", "payload_too_large", "unsupported_media_type"];

/** Security requirements, by who may call. */
type Security = Record<string, string[]>[];
export const TENANT_SECURITY: Security = [{ apiKey: [] }, { supabaseJwt: [] }];
export const ADMIN_SECURITY: Security = [{ adminToken: [] }];
export const NO_SECURITY: Security = [];

export const SECURITY_SCHEMES = {
  apiKey: {
    type: "http" as const,
    scheme: "bearer",
    description: "A tenant API key (`ec_…`) issued by `POST /v1/admin/tenants/{id}/keys`.",
  },
  supabaseJwt: {
    type: "http" as const,
    scheme: "bearer",
    bearerFormat: "JWT",
    description: "A Supabase session JWT whose claims name an existing tenant (when Supabase auth is configured).",
  },
  adminToken: {
    type: "http" as const,
    scheme: "bearer",
    description: "The deployment's `ADMIN_TOKEN`; the admin API and /metrics are disabled when it is unset.",
  },
  streamTicket: {
    type: "apiKey" as const,
    in: "query" as const,
    name: "ticket",
    description:
      "A single-use ticket from `POST /v1/runs/{id}/stream-ticket` (a run's stream) or `POST /v1/events/stream-ticket` (the event stream), for browsers that cannot set headers.",
  },
};

/** JSON body of a response. */
export const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

/** An integer query parameter within [min, max] with a default; the message names the range. */
/** A `?cursor=` of lists ordered by run: the `next_cursor` (a run id) of the previous page. */
export const RunCursor = z
  .string()
  .regex(RUN_ID_PATTERN, { error: "is not valid" })
  .optional()
  .openapi({ description: "`next_cursor` of the previous page" });

/** `?progress=true` on a run's stream: also send live progress notes (never stored or replayed). */
export const ProgressQuery = z
  .enum(["true", "false"], { error: "must be true or false" })
  .optional()
  .openapi({ description: "`true`: also send live progress notes of model and tool calls (not stored, not replayed)" });

export function queryInt(min: number, max: number, fallback: number, description: string) {
  const msg = `must be an integer from ${min} to ${max}`;
  return z.coerce
    .number({ error: msg })
    .int({ error: msg })
    .min(min, { error: msg })
    .max(max, { error: msg })
    .optional()
    .default(fallback)
    .openapi({ type: "integer", minimum: min, maximum: max, default: fallback, description });
}

/** A date-time string as the API writes it (ISO 8601, UTC). */
export const DateTime = z.string().openapi({ format: "date-time", example: "2026-01-01T00:00:00.000Z" });
export const NullableDateTime = DateTime.nullable();

/** A run id path parameter; one that cannot be a run id is 404. */
export const RunIdParams = z.object({
  id: z
    .string()
    .regex(RUN_ID_PATTERN, { error: "run not found" })
    .openapi({ param: { name: "id", in: "path" }, example: "run_0123456789abcdefghijk", description: "A run id" }),
});
