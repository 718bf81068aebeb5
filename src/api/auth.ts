// Authentication: API keys (and the development key) and, when configured, Supabase JWTs resolve
// to a tenant; admin routes take the ADMIN_TOKEN. Key checks are cached per isolate for 30 s, so a
// revocation takes effect everywhere within 30 s (at once in the isolate that revoked it).

import type { Context, MiddlewareHandler } from "hono";
import { config, externalAdapters } from "../deps";
import { ApiError } from "../domain/errors";
import { hashKey, keyTenant } from "../tenant/keys";
import type { TenantError } from "../tenant/protocol";
import type { AppEnv } from "./app-env";
import { looksLikeJwt, verifySupabaseJwt } from "./jwt";

/** How long a verified key is trusted without asking its tenant again. */
export const KEY_CACHE_MS = 30_000;
const verified = new Map<string, { tenant: string; until: number }>();
/** Tenants a verified JWT named and that exist, until when (the existence check is cached like keys). */
const jwtTenants = new Map<string, number>();
let devReady: Promise<unknown> | null = null;

/** Forgets a cached key (called when a key is revoked through this isolate). */
export function forgetKeys(tenantId: string): void {
  for (const [hash, v] of verified) if (v.tenant === tenantId) verified.delete(hash);
}

export function tenantStub(env: Env, tenantId: string) {
  return env.TENANTS.get(env.TENANTS.idFromName(tenantId));
}

function bearer(c: Context): string | null {
  const h = c.req.header("authorization");
  const m = h ? /^Bearer\s+(\S+)\s*$/i.exec(h) : null;
  return m?.[1] ?? null;
}

/** The tenant of a Supabase JWT: verified, and the tenant must exist (created by an admin). */
async function jwtTenant(env: Env, token: string): Promise<string> {
  const settings = externalAdapters(env);
  if (!settings.jwt) {
    const problem = settings.errors.jwt;
    if (problem) throw new ApiError("unavailable", `Supabase JWT auth is not usable: ${problem.problem}; fix: ${problem.fix}`);
    throw new ApiError("unauthorized", "invalid API key (Supabase JWTs are not accepted by this deployment)");
  }
  const verdict = await verifySupabaseJwt(token, settings.jwt);
  if (!verdict.ok) throw new ApiError("unauthorized", `invalid Supabase JWT: ${verdict.reason}`);
  const now = Date.now();
  if ((jwtTenants.get(verdict.tenant) ?? 0) <= now) {
    if (!(await tenantStub(env, verdict.tenant).exists())) throw new ApiError("unauthorized", `tenant ${verdict.tenant} does not exist`);
    jwtTenants.set(verdict.tenant, now + KEY_CACHE_MS);
  }
  return verdict.tenant;
}

/** Resolves the caller's tenant from `Authorization: Bearer <key | Supabase JWT>`; 401 otherwise. */
export async function authenticate(c: Context<AppEnv>): Promise<string> {
  const token = bearer(c);
  if (!token) throw new ApiError("unauthorized", "missing API key: send Authorization: Bearer <key>");
  const cfg = config(c.env);
  if (cfg.environment === "development" && cfg.devApiKey && token === cfg.devApiKey) {
    devReady ??= tenantStub(c.env, "dev")
      .ensure("dev", "Development", 1000)
      .then((res) => {
        if ("error" in res) throw new ApiError("unavailable", (res as TenantError).error.message);
      })
      .catch((e: unknown) => {
        devReady = null;
        throw e;
      });
    await devReady;
    return "dev";
  }
  if (looksLikeJwt(token)) return jwtTenant(c.env, token);
  const tenant = keyTenant(token);
  if (!tenant) throw new ApiError("unauthorized", "invalid API key");
  const hash = await hashKey(token);
  const now = Date.now();
  const hit = verified.get(hash);
  if (hit && hit.until > now) return hit.tenant;
  const ok = await tenantStub(c.env, tenant).authenticate(hash);
  if (!ok) {
    verified.delete(hash);
    throw new ApiError("unauthorized", "invalid or revoked API key");
  }
  verified.set(hash, { tenant, until: now + KEY_CACHE_MS });
  return tenant;
}

/** Tenant routes: sets `tenant` on the context. */
export const requireTenant: MiddlewareHandler<AppEnv> = async (c, next) => {
  c.set("tenant", await authenticate(c));
  await next();
};

/** Admin routes: `Authorization: Bearer $ADMIN_TOKEN`; absent entirely when it is unset. */
export const requireAdmin: MiddlewareHandler<AppEnv> = async (c, next) => {
  const admin = config(c.env).adminToken;
  if (!admin) throw new ApiError("not_found", "the admin API is disabled (ADMIN_TOKEN is not set)");
  const token = bearer(c);
  if (!token || !timingSafeEqual(token, admin)) throw new ApiError("unauthorized", "admin token required");
  await next();
};

function timingSafeEqual(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}
