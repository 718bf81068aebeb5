// The retry policy: from a failure code and the attempt it ended, retry (with a delay) or stop.

import { type FailureCode, isTransient } from "../domain/errors";

export interface RetryConfig {
  /** Attempts per step, the first included (default 5). */
  maxAttempts: number;
  /** Backoff base in ms (default 1000): attempt n waits up to base × 2^(n-1). */
  baseMs: number;
  /** Backoff cap in ms (default 300000). */
  maxMs: number;
}

export type RetryDecision = { action: "retry"; delayMs: number } | { action: "fail" } | { action: "dead" };

/**
 * Transient failures retry with exponential backoff and full jitter, never sooner than the
 * `retry-after` the service sent; after `maxAttempts` the run is dead. Permanent ones fail at once.
 */
export function decideRetry(
  code: FailureCode,
  attempt: number,
  retryAfterMs: number | undefined,
  cfg: RetryConfig,
  random: () => number = Math.random,
): RetryDecision {
  if (!isTransient(code)) return { action: "fail" };
  if (attempt >= cfg.maxAttempts) return { action: "dead" };
  const ceiling = Math.min(cfg.maxMs, cfg.baseMs * 2 ** (attempt - 1));
  const jittered = Math.floor(random() * ceiling);
  return { action: "retry", delayMs: Math.max(jittered, retryAfterMs ?? 0) };
}
