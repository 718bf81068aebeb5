// Reaching a run's and a tenant's Durable Objects from the API, and rendering a tenant object's
// refusal as the API error.

import { ApiError } from "../domain/errors";
import { RUN_ID_PATTERN } from "../domain/ids";
import type { TenantError } from "../tenant/protocol";

/** The stub of run `id`'s object; 404 for a string that cannot be a run id (no object is touched). */
export function runStub(env: Env, id: string) {
  if (!RUN_ID_PATTERN.test(id)) throw new ApiError("not_found", "run not found");
  return env.RUNS.get(env.RUNS.idFromName(id));
}

/** Turns a tenant object's refusal into the API error. */
export function tenantError(e: TenantError): ApiError {
  const headers = e.error.retryAfter ? { "retry-after": String(e.error.retryAfter) } : undefined;
  return new ApiError(e.error.code, e.error.message, e.error.details, headers);
}
