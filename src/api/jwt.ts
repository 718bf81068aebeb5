// Supabase JWTs as API credentials: verified with jose against the HS256 secret or the project's
// JWKS; `aud` must be "authenticated", `iss` `${SUPABASE_URL}/auth/v1`, `exp` in the future. The
// tenant is `app_metadata.tenant_id`, else `sub`.

import { createRemoteJWKSet, type JWTPayload, type JWTVerifyGetKey, jwtVerify } from "jose";
import type { JwtSettings } from "../adapters/settings";
import { TENANT_ID_PATTERN } from "../domain/ids";
import { errorText, log } from "../ops/log";

/** The tenant and subject (`sub`) of a verified token, or why it was refused (safe to show: no token, no secret). */
export type JwtVerdict = { ok: true; tenant: string; subject: string } | { ok: false; reason: string };

/** Whether a bearer credential has the shape of a JWT (three base64url parts) rather than an API key. */
export function looksLikeJwt(token: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token);
}

// One remote key set per JWKS URL per isolate: jose caches the keys and refetches on an unknown kid.
const keySets = new Map<string, JWTVerifyGetKey>();

function keySet(url: string): JWTVerifyGetKey {
  let set = keySets.get(url);
  if (!set) {
    set = createRemoteJWKSet(new URL(url), { cacheMaxAge: 10 * 60_000 });
    keySets.set(url, set);
  }
  return set;
}

const REASONS: Record<string, string> = {
  ERR_JWT_EXPIRED: "the token has expired",
  ERR_JWS_SIGNATURE_VERIFICATION_FAILED: "the signature does not verify",
  ERR_JWS_INVALID: "the token is malformed",
  ERR_JWT_INVALID: "the token is malformed",
  ERR_JOSE_ALG_NOT_ALLOWED: "the signing algorithm is not accepted",
  ERR_JWKS_NO_MATCHING_KEY: "no key of the JWKS matches the token",
};

function refusal(err: unknown): string {
  const e = err as { code?: string; claim?: string; reason?: string };
  if (e.code === "ERR_JWT_CLAIM_VALIDATION_FAILED") return `claim ${e.claim ?? "?"} is not acceptable (${e.reason ?? "invalid"})`;
  if (e.code && REASONS[e.code]) return REASONS[e.code]!;
  // Anything else (JWKS unreachable, ...) is logged in full; the caller only learns it failed.
  log.error("auth.jwt_failed", "Supabase JWT verification failed", { code: e.code, error: errorText(err) });
  return "the token could not be verified";
}

function tenantOf(payload: JWTPayload): string | null {
  const meta = payload.app_metadata as { tenant_id?: unknown } | undefined;
  const claimed = typeof meta?.tenant_id === "string" ? meta.tenant_id : payload.sub;
  return typeof claimed === "string" && TENANT_ID_PATTERN.test(claimed) ? claimed : null;
}

/** Verifies a Supabase access token (HS256 with the secret when set, else the JWKS). */
export async function verifySupabaseJwt(token: string, settings: JwtSettings): Promise<JwtVerdict> {
  const options = { issuer: settings.issuer, audience: settings.audience, requiredClaims: ["exp", "sub"] };
  let payload: JWTPayload;
  try {
    if (settings.secret !== null) {
      const key = new TextEncoder().encode(settings.secret);
      ({ payload } = await jwtVerify(token, key, { ...options, algorithms: ["HS256"] }));
    } else if (settings.jwksUrl !== null) {
      ({ payload } = await jwtVerify(token, keySet(settings.jwksUrl), { ...options, algorithms: ["RS256", "ES256", "EdDSA"] }));
    } else {
      return { ok: false, reason: "Supabase JWT auth has no key configured" };
    }
  } catch (err) {
    return { ok: false, reason: refusal(err) };
  }
  const tenant = tenantOf(payload);
  if (!tenant) return { ok: false, reason: "the token names no tenant (app_metadata.tenant_id or sub: lowercase letters, digits, dashes)" };
  return { ok: true, tenant, subject: payload.sub as string };
}
