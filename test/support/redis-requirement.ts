// What the Redis-backed tests say when no Redis answers: the reason global-setup found, published
// in SupportUrls, and the command that starts one. No Node imports: read inside workerd too.
import { describe } from "vitest";

/** Starts a throwaway local Redis like the one CI runs. */
export const REDIS_START_COMMAND = "redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' --appendonly no";

/** The SupportUrls entry that holds why Redis-backed tests cannot run (absent when Redis answers). */
export const REDIS_MISSING_KEY = "redisMissing";

/** The note a skipped Redis-backed test carries, or null when Redis answered at the start of the run. */
export function redisSkipNote(urls: Record<string, string>): string | null {
  const reason = urls[REDIS_MISSING_KEY];
  return reason ? `not run: ${reason}; start one with: ${REDIS_START_COMMAND}` : null;
}

/**
 * `describe` for a suite that needs Redis: when global-setup found none, the suite is skipped and
 * its name carries the reason and the command that starts one (the run's end banner repeats it).
 */
export function describeWithRedis(urls: Record<string, string>, name: string, fn: () => void): void {
  const note = redisSkipNote(urls);
  if (note) describe.skip(`${name} [${note}]`, fn);
  else describe(name, fn);
}
