// Authentication, once per request: `authenticate` resolves the caller of a /v1 request (API key,
// development key or Supabase JWT) to its tenant and actor; admin routes take the ADMIN_TOKEN. A
// forged key is refused by its MAC before any Durable Object is asked; a key that passes is checked
// (revocation) by its tenant's object, and that answer is cached per isolate for 30 s.

import type { Context, MiddlewareHandler } from "hono";
import { config, externalAdapters } from "../deps";
import type { Actor } from "../domain/actor";
import { ApiError } from "../domain/errors";
import { hashKey, keyMacValid, keyTenant, parseKey } from "../tenant/keys";
import type { TenantError } from "../tenant/protocol";
import type { AppEnv } from "./app-env";
import { limitFailures } from "./auth-failures";
import { signingKey } from "./auth-settings";
import { looksLikeJwt, verifySupabaseJwt } from "./jwt";

/** How long a verified key is trusted without asking its tenant again (ms). */
export const KEY_CACHE_MS = 30_000;
const verified = new Map<string, { tenant: string; until: number }>();
/** Tenants a verified JWT named and that exist, until when (the existence check is cached like keys). */
const jwtTenants = new Map<string, number>();
let devReady: Promise<unknown> | null = null;

/**
 * Per-isolate counts of the costly steps of authentication: API keys hashed and JWTs verified.
 * Each request does each at most once; tests read these to hold that.
 */
export const authWork = { keyHashes: 0, jwtVerifications: 0 };

/** An authenticated caller: the tenant it acts for and who it is. */
export interface Caller {
  tenant: string;
  actor: Actor;
}

/** Forgets a cached key (called when a key is revoked through this isolate). */
export function forgetKeys(tenantId: string): void {
  for (const [hash, v] of verified) if (v.tenant === tenantId) verified.delete(hash);
}

/** The stub of a tenant's Durable Object (calling it wakes the object: only for authenticated callers). */
export function tenantStub(env: Env, tenantId: string) {
  return env.TENANTS.get(env.TENANTS.idFromName(tenantId));
}

function bearer(c: Context): string | null {
  const h = c.req.header("authorization");
  const m = h ? /^Bearer\s+(\S+)\s*$/i.exec(h) : null;
  return m?.[1] ?? null;
}

/** A Supabase JWT's caller: verified once, and its tenant must exist (created by an admin). */
async function jwtCaller(env: Env, token: string): Promise<Caller> {
  const settings = externalAdapters(env);
  if (!settings.jwt) {
    const problem = settings.errors.jwt;
    if (problem) throw new ApiError("unavailable", `Supabase JWT auth is not usable: ${problem.problem}; fix: ${problem.fix}`);
    throw new ApiError("unauthorized", "invalid API key (Supabase JWTs are not accepted by this deployment)");
  }
  authWork.jwtVerifications++;
  const verdict = await verifySupabaseJwt(token, settings.jwt);
  if (!verdict.ok) throw new ApiError("unauthorized", `invalid Supabase JWT: ${verdict.reason}`);
  // A verified JWT is an authenticated caller: it may wake its tenant's object to check it exists.
  const now = Date.now();
  if ((jwtTenants.get(verdict.tenant) ?? 0) <= now) {
    if (!(await tenantStub(env, verdict.tenant).exists())) throw new ApiError("unauthorized", `tenant ${verdict.tenant} does not exist`);
    jwtTenants.set(verdict.tenant, now + KEY_CACHE_MS);
  }
  return { tenant: verdict.tenant, actor: { type: "jwt", id: verdict.subject } };
}

/** An API key's caller: its MAC first (no object call for a forged key), then revocation. */
async function keyCaller(env: Env, token: string): Promise<Caller> {
  const mac = await signingKey(env);
  const key = parseKey(token);
  if (!key) {
    if (keyTenant(token) !== null)
      throw new ApiError(
        "unauthorized",
        "invalid API key: not a signed key (keys issued before signed keys are no longer accepted); ask an admin for a new key (POST /v1/admin/tenants/:id/keys)",
      );
    throw new ApiError("unauthorized", "invalid API key");
  }
  if (!(await keyMacValid(mac, key))) throw new ApiError("unauthorized", "invalid API key");
  authWork.keyHashes++;
  const hash = await hashKey(token);
  const caller: Caller = { tenant: key.tenant, actor: { type: "api_key", id: key.keyId } };
  const now = Date.now();
  const hit = verified.get(hash);
  if (hit && hit.until > now) return caller;
  if (!(await tenantStub(env, key.tenant).authenticate(hash))) {
    verified.delete(hash);
    throw new ApiError("unauthorized", "invalid or revoked API key");
  }
  verified.set(hash, { tenant: key.tenant, until: now + KEY_CACHE_MS });
  return caller;
}

/** The development tenant `dev` (created on first use) for DEV_API_KEY in development. */
async function devCaller(env: Env): Promise<Caller> {
  devReady ??= tenantStub(env, "dev")
    .ensure("dev", "Development", 1000)
    .then((res) => {
      if ("error" in res) throw new ApiError("unavailable", (res as TenantError).error.message);
    })
    .catch((e: unknown) => {
      devReady = null;
      throw e;
    });
  await devReady;
  return { tenant: "dev", actor: { type: "api_key", id: "dev" } };
}

/**
 * Resolves the caller from `Authorization: Bearer <key | development key | Supabase JWT>`; 401
 * otherwise. Failures count against the client's failed-authentication limit (auth-failures.ts).
 */
export function resolveCaller(c: Context<AppEnv>): Promise<Caller> {
  return limitFailures(c, async () => {
    const token = bearer(c);
    if (!token) throw new ApiError("unauthorized", "missing API key: send Authorization: Bearer <key>");
    const cfg = config(c.env);
    if (cfg.environment === "development" && cfg.devApiKey && timingSafeEqual(token, cfg.devApiKey)) return devCaller(c.env);
    if (looksLikeJwt(token)) return jwtCaller(c.env, token);
    return keyCaller(c.env, token);
  });
}

function isAdminPath(path: string): boolean {
  return path === "/v1/admin" || path.startsWith("/v1/admin/");
}

/** `GET /v1/runs/:id/stream` or `/v1/events/stream` without a header: the stream route checks its `?ticket=` itself. */
function isTicketStream(c: Context<AppEnv>): boolean {
  if (c.req.method !== "GET" || c.req.header("authorization")) return false;
  return /^\/v1\/runs\/[^/]+\/stream$/.test(c.req.path) || c.req.path === "/v1/events/stream";
}

/**
 * The /v1 authentication middleware: sets `tenant` and `actor` on the context, once per request.
 * Admin routes (ADMIN_TOKEN, `requireAdmin`) and a stream opened by ticket are left to their routes.
 */
export const authenticate: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (isAdminPath(c.req.path) || isTicketStream(c)) return next();
  const caller = await resolveCaller(c);
  c.set("tenant", caller.tenant);
  c.set("actor", caller.actor);
  await next();
};

/** Tenant routes: the caller must have been authenticated by `authenticate` (mounted on /v1). */
export const requireTenant: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (!c.get("tenant")) throw new ApiError("unauthorized", "missing API key: send Authorization: Bearer <key>");
  await next();
};

/** Admin routes: `Authorization: Bearer $ADMIN_TOKEN`; absent entirely when it is unset. */
export const requireAdmin: MiddlewareHandler<AppEnv> = async (c, next) => {
  const admin = config(c.env).adminToken;
  if (!admin) throw new ApiError("not_found", "the admin API is disabled (ADMIN_TOKEN is not set)");
  await limitFailures(c, async () => {
    const token = bearer(c);
    if (!token || !timingSafeEqual(token, admin)) throw new ApiError("unauthorized", "admin token required");
  });
  c.set("actor", { type: "admin", id: "admin" });
  await next();
};

function timingSafeEqual(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}
