// The API-wide request limit per tenant (RATE_LIMIT_REQUESTS_PER_MIN): a sliding window kept in
// this isolate's memory, so a request costs no Durable Object round trip. Run creation has its own,
// exact limit inside the tenant's object (RATE_LIMIT_RUNS_PER_MIN).

import type { MiddlewareHandler } from "hono";
import { config } from "../deps";
import { ApiError } from "../domain/errors";
import { SlidingWindow } from "../domain/rate-limit";
import type { AppEnv } from "./app-env";

/** Tenants whose windows one isolate keeps; past this, windows idle for two minutes are dropped. */
export const MAX_TRACKED_TENANTS = 10_000;
const IDLE_MS = 120_000;

interface Tracked {
  limit: number;
  window: SlidingWindow;
  usedAt: number;
}

const windows = new Map<string, Tracked>();

function windowFor(tenant: string, limit: number, now: number): SlidingWindow {
  let t = windows.get(tenant);
  if (!t || t.limit !== limit) {
    if (windows.size >= MAX_TRACKED_TENANTS) {
      for (const [id, w] of windows) if (now - w.usedAt > IDLE_MS) windows.delete(id);
    }
    t = { limit, window: new SlidingWindow(limit), usedAt: now };
    windows.set(tenant, t);
  }
  t.usedAt = now;
  return t.window;
}

/**
 * Limits each tenant to RATE_LIMIT_REQUESTS_PER_MIN requests a minute (default 6000; 0 disables)
 * on the tenant routes; over it → 429 `rate_limited` with `Retry-After` (seconds).
 *
 * The count is per isolate: Cloudflare runs many isolates, so a tenant spread over N of them may
 * reach up to N × the limit. That is the price of not asking a Durable Object on every request;
 * the exact, global guard on what costs money is the run-creation limit in the tenant's object.
 * It runs after `authenticate` and counts the tenant `authenticate` put on the context; admin routes and a
 * stream opened by ticket (no tenant there yet) are not counted. Failed authentications have their
 * own per-client limit (auth-failures.ts).
 */
export const requestRateLimit: MiddlewareHandler<AppEnv> = async (c, next) => {
  const tenant = c.get("tenant");
  if (!tenant) return next();
  const limit = config(c.env).rateLimits.requestsPerMinute;
  const now = Date.now();
  const take = windowFor(tenant, limit, now).take(now);
  if (!take.ok) {
    throw new ApiError(
      "rate_limited",
      `more than ${limit} requests a minute for this tenant; retry after ${take.retryAfterSeconds} s`,
      undefined,
      {
        "retry-after": String(take.retryAfterSeconds),
      },
    );
  }
  await next();
};
