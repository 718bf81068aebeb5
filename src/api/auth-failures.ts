// The failed-authentication limit: per client (`cf-connecting-ip`; one shared bucket for requests
// without it), in this isolate's memory, checked before any credential is looked at, so a client
// guessing credentials is turned away without hashing, verifying or asking any Durable Object.

import type { Context } from "hono";
import { ApiError } from "../domain/errors";
import { SlidingWindow } from "../domain/rate-limit";
import type { AppEnv } from "./app-env";
import { authFailuresPerMinute } from "./auth-settings";

/** Clients whose failures one isolate keeps; past this, entries idle for two minutes are dropped, then the oldest. */
export const MAX_TRACKED_CLIENTS = 10_000;
const IDLE_MS = 120_000;
/** The bucket of requests that carry no `cf-connecting-ip` (never the case behind Cloudflare's edge). */
const UNKNOWN_CLIENT = "unknown";

interface Tracked {
  limit: number;
  window: SlidingWindow;
  usedAt: number;
}

const clients = new Map<string, Tracked>();

function clientOf(c: Context<AppEnv>): string {
  return c.req.header("cf-connecting-ip") ?? UNKNOWN_CLIENT;
}

function windowFor(client: string, limit: number, now: number): SlidingWindow {
  let t = clients.get(client);
  if (!t || t.limit !== limit) {
    if (clients.size >= MAX_TRACKED_CLIENTS) {
      for (const [id, w] of clients) if (now - w.usedAt > IDLE_MS) clients.delete(id);
      // Still full: drop the least recently inserted (Map order) to stay bounded.
      if (clients.size >= MAX_TRACKED_CLIENTS) clients.delete(clients.keys().next().value!);
    }
    t = { limit, window: new SlidingWindow(limit), usedAt: now };
    clients.set(client, t);
  }
  t.usedAt = now;
  return t.window;
}

/**
 * Refuses the request with 429 `rate_limited` (and `Retry-After`, seconds) when its client already
 * failed authentication AUTH_FAILURES_PER_MIN times (default 30) in the last minute.
 */
export function refuseIfBlocked(c: Context<AppEnv>): void {
  const limit = authFailuresPerMinute(c.env);
  const now = Date.now();
  const verdict = windowFor(clientOf(c), limit, now).check(now);
  if (!verdict.ok)
    throw new ApiError(
      "rate_limited",
      `too many failed authentications from this client (more than ${limit} a minute); retry after ${verdict.retryAfterSeconds} s`,
      undefined,
      { "retry-after": String(verdict.retryAfterSeconds) },
    );
}

/** Counts one failed authentication against the request's client. */
export function recordFailure(c: Context<AppEnv>): void {
  const now = Date.now();
  windowFor(clientOf(c), authFailuresPerMinute(c.env), now).take(now);
}

/**
 * Runs one authentication attempt under the limit: refused up front when the client is blocked;
 * a 401 it throws is counted against the client and rethrown.
 */
export async function limitFailures<T>(c: Context<AppEnv>, attempt: () => Promise<T>): Promise<T> {
  refuseIfBlocked(c);
  try {
    return await attempt();
  } catch (err) {
    if (err instanceof ApiError && err.code === "unauthorized") recordFailure(c);
    throw err;
  }
}
