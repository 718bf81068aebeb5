// The one error the client throws: the API's error envelope with the HTTP status and Retry-After,
// or `unreachable` (status 0) when no answer came back at all.

import type { ApiErrorCode } from "../domain/errors";

/** Codes of the API's error envelope, plus `unreachable` for a request that got no answer. */
export type EdgecrewErrorCode = ApiErrorCode | "unreachable" | (string & {});

export interface EdgecrewErrorInit {
  code: EdgecrewErrorCode;
  message: string;
  status: number;
  details?: unknown;
  /** Seconds to wait before trying again (the `Retry-After` header), or null. */
  retryAfter?: number | null;
  cause?: unknown;
}

export class EdgecrewError extends Error {
  readonly code: EdgecrewErrorCode;
  /** HTTP status of the answer; 0 when the API could not be reached. */
  readonly status: number;
  readonly details: unknown;
  /** Seconds from the `Retry-After` header, null when absent. */
  readonly retryAfter: number | null;

  constructor(init: EdgecrewErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = "EdgecrewError";
    this.code = init.code;
    this.status = init.status;
    this.details = init.details;
    this.retryAfter = init.retryAfter ?? null;
  }

  /** True when the request never got an answer (network error, refused connection, DNS). */
  get unreachable(): boolean {
    return this.status === 0;
  }
}

/** Seconds from a `Retry-After` header (delta-seconds or an HTTP date), null when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | null {
  if (value === null || value.trim() === "") return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - now) / 1000));
}

/** The error for a non-2xx answer whose body was already read (`body` is the parsed JSON or text). */
export function errorFromResponse(res: Response, body: unknown): EdgecrewError {
  const envelope = (body as { error?: { code?: unknown; message?: unknown; details?: unknown } } | null)?.error;
  const retryAfter = parseRetryAfter(res.headers.get("retry-after"));
  if (envelope && typeof envelope.code === "string") {
    return new EdgecrewError({
      code: envelope.code,
      message: typeof envelope.message === "string" ? envelope.message : envelope.code,
      status: res.status,
      details: envelope.details,
      retryAfter,
    });
  }
  const text = typeof body === "string" && body.length > 0 ? `: ${body.slice(0, 200)}` : "";
  return new EdgecrewError({ code: fallbackCode(res.status), message: `HTTP ${res.status}${text}`, status: res.status, retryAfter });
}

/** The error for a request that never got an answer. */
export function unreachableError(url: string, cause: unknown): EdgecrewError {
  const reason = describeCause(cause);
  return new EdgecrewError({ code: "unreachable", message: `could not reach ${url}: ${reason}`, status: 0, cause });
}

function describeCause(cause: unknown): string {
  if (!(cause instanceof Error)) return String(cause);
  const inner = (cause as { cause?: unknown }).cause;
  const code = (inner as { code?: unknown } | undefined)?.code;
  if (typeof code === "string") return code;
  return inner instanceof Error ? inner.message : cause.message;
}

function fallbackCode(status: number): EdgecrewErrorCode {
  if (status === 401) return "unauthorized";
  if (status === 404) return "not_found";
  if (status === 429) return "rate_limited";
  if (status === 503) return "unavailable";
  return status >= 500 ? "internal" : "invalid_request";
}
