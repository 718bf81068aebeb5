// The settings of authentication: the signing secret of API keys and stream tickets
// (AUTH_SIGNING_SECRET) and the failed-authentication limit (AUTH_FAILURES_PER_MIN).

import type { AdapterCheck } from "../adapters/readiness-types";
import { setting } from "../deps";
import { ApiError } from "../domain/errors";
import { importSigningKey, MIN_SIGNING_SECRET_LENGTH, signingSecretProblem } from "../domain/mac";

/** The variable holding the secret that signs API keys and stream tickets. */
export const SIGNING_SECRET_VAR = "AUTH_SIGNING_SECRET";

/** Failed authentications one client may make a minute before it gets 429 (AUTH_FAILURES_PER_MIN). */
export const DEFAULT_AUTH_FAILURES_PER_MIN = 30;

const FIX = `set ${SIGNING_SECRET_VAR} to a random value of at least ${MIN_SIGNING_SECRET_LENGTH} characters (e.g. \`openssl rand -hex 32 | wrangler secret put ${SIGNING_SECRET_VAR}\`); changing it invalidates every API key and stream ticket issued with the old one`;

/** Whether the signing secret is usable, for /readyz (never shows the secret). */
export function signingSecretCheck(env: Env): AdapterCheck {
  const problem = signingSecretProblem(setting(env, SIGNING_SECRET_VAR));
  return problem === null ? { ok: true } : { ok: false, problem: `${SIGNING_SECRET_VAR} ${problem}`, fix: FIX };
}

// One imported key per isolate; replaced if the secret differs (another `env`, e.g. in tests).
let cached: { secret: string; key: Promise<CryptoKey> } | null = null;

/**
 * The HMAC key API keys and stream tickets are signed and checked with. Without a usable secret
 * keys can be neither issued nor checked: 503 `unavailable` naming the fix, never a fallback.
 */
export function signingKey(env: Env): Promise<CryptoKey> {
  const secret = setting(env, SIGNING_SECRET_VAR);
  const problem = signingSecretProblem(secret);
  if (problem !== null || secret === null)
    throw new ApiError(
      "unavailable",
      `API keys and stream tickets cannot be issued or checked: ${SIGNING_SECRET_VAR} ${problem}; fix: ${FIX}`,
    );
  if (cached?.secret !== secret) cached = { secret, key: importSigningKey(secret) };
  return cached.key;
}

/** AUTH_FAILURES_PER_MIN: failed authentications a client may make a minute (default 30; 0 turns the limit off). */
export function authFailuresPerMinute(env: Env): number {
  const raw = setting(env, "AUTH_FAILURES_PER_MIN");
  if (raw === null) return DEFAULT_AUTH_FAILURES_PER_MIN;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0)
    throw new ApiError(
      "unavailable",
      "AUTH_FAILURES_PER_MIN is not a non-negative integer; fix: set it to e.g. 30, or 0 to turn the limit off",
    );
  return n;
}
