// Errors: the HTTP edge error (status + code, docs/api.md, Errors) and the closed set of run failure
// codes, with the one exhaustive decision of what each code means.

export type ApiErrorCode =
  | "invalid_request"
  | "unauthorized"
  | "insufficient_credits"
  | "not_found"
  | "conflict"
  | "payload_too_large"
  | "unsupported_media_type"
  | "rate_limited"
  | "internal"
  | "unavailable";

/** The HTTP status of each error code (one table: the error class and the API description read it). */
export const API_ERROR_STATUS: Record<ApiErrorCode, number> = {
  invalid_request: 400,
  unauthorized: 401,
  insufficient_credits: 402,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
};

/** The one error class of the HTTP edge; `app.onError` renders it as the error envelope. */
export class ApiError extends Error {
  readonly status: number;
  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly details?: unknown,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = "ApiError";
    this.status = API_ERROR_STATUS[code];
  }
}

/** Closed set of reasons a step or run can fail. */
export type FailureCode =
  // transient
  | "model_overloaded"
  | "model_rate_limited"
  | "model_server_error"
  | "model_timeout"
  | "network_error"
  | "tool_server_error"
  | "worker_crash"
  | "lease_expired"
  // permanent
  | "model_bad_request"
  | "model_unauthorized"
  | "model_forbidden"
  | "model_not_found"
  | "model_payload_too_large"
  | "model_protocol_error"
  | "invalid_plan"
  | "budget_exceeded"
  | "step_iteration_limit"
  | "agent_misconfigured"
  | "internal";

/** A classified failure raised by the model, a tool or the runtime while a run executes. */
export class RunFailure extends Error {
  constructor(
    readonly code: FailureCode,
    message: string,
    /** Delay the failing service asked for (`retry-after`), in milliseconds. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = "RunFailure";
  }
}

export function assertNever(x: never): never {
  throw new Error(`unexpected value: ${String(x)}`);
}

/** Whether a failure code is worth retrying (true) or fails the run at once (false). */
export function isTransient(code: FailureCode): boolean {
  switch (code) {
    case "model_overloaded":
    case "model_rate_limited":
    case "model_server_error":
    case "model_timeout":
    case "network_error":
    case "tool_server_error":
    case "worker_crash":
    case "lease_expired":
      return true;
    case "model_bad_request":
    case "model_unauthorized":
    case "model_forbidden":
    case "model_not_found":
    case "model_payload_too_large":
    case "model_protocol_error":
    case "invalid_plan":
    case "budget_exceeded":
    case "step_iteration_limit":
    case "agent_misconfigured":
    case "internal":
      return false;
    default:
      return assertNever(code);
  }
}
