// Workerd-side helpers of the workers-external tests: clients of the local Postgres (through the
// PostgREST gateway) and Redis (through the Upstash gateway) to check state directly, QStash
// deliveries captured by the echo server, and QStash-style signatures for forged requests.

import { createClient } from "@supabase/supabase-js";
import { Redis } from "@upstash/redis/cloudflare";
import { SignJWT } from "jose";
import { SUPABASE_TEST_JWT_SECRET, SUPABASE_TEST_SERVICE_KEY, UPSTASH_TEST_TOKEN } from "../support/constants";
import { QSTASH_ECHO_SCOPE } from "../support/external-bindings";
import { type ReceivedRequest, received } from "./echo";
import { supportUrl } from "./fake-model";

/** A service-role client of the Postgres the Worker's Supabase adapters use. */
export function database() {
  return createClient(supportUrl("postgrest"), SUPABASE_TEST_SERVICE_KEY, {
    db: { schema: supportUrl("postgrestSchema") },
    accessToken: async () => SUPABASE_TEST_SERVICE_KEY,
  });
}

/** A client of the Redis the Worker's Upstash heartbeats use. */
export function redis(): Redis {
  return new Redis({ url: supportUrl("upstash"), token: UPSTASH_TEST_TOKEN, enableTelemetry: false });
}

/** QStash deliveries the echo server received whose body mentions `needle` (e.g. a run id). */
export async function qstashDeliveries(needle: string): Promise<ReceivedRequest[]> {
  return (await received(QSTASH_ECHO_SCOPE)).filter((r) => r.body.includes(needle));
}

/** The URL QStash signs deliveries for in the workers-external project (PUBLIC_URL + route). */
export function qstashDeliverUrl(): string {
  return `${supportUrl("echo")}/echo/${QSTASH_ECHO_SCOPE}/internal/qstash/deliver`;
}

function base64url(bytes: ArrayBuffer): string {
  return btoa(String.fromCharCode(...new Uint8Array(bytes)))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
}

/** An `Upstash-Signature` as QStash makes it: HS256, iss Upstash, sub = URL, body = SHA-256. */
export async function qstashSignature(opts: {
  key: string;
  url: string;
  body: string;
  issuedAt?: number;
  lifetimeS?: number;
}): Promise<string> {
  const now = opts.issuedAt ?? Math.floor(Date.now() / 1000);
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(opts.body));
  return new SignJWT({ body: base64url(digest) })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuer("Upstash")
    .setSubject(opts.url)
    .setIssuedAt(now)
    .setNotBefore(now)
    .setExpirationTime(now + (opts.lifetimeS ?? 300))
    .setJti(`jwt_${crypto.randomUUID()}`)
    .sign(new TextEncoder().encode(opts.key));
}

/** The issuer Supabase puts in its access tokens for this deployment. */
export function supabaseIssuer(): string {
  return `${supportUrl("postgrest")}/auth/v1`;
}

/** A Supabase-style access token; every claim can be overridden to make it wrong. */
export async function supabaseJwt(
  claims: { sub: string; tenantId?: string; aud?: string; iss?: string; expiresIn?: number },
  secret = SUPABASE_TEST_JWT_SECRET,
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const payload: Record<string, unknown> = { role: "authenticated" };
  if (claims.tenantId !== undefined) payload.app_metadata = { provider: "email", tenant_id: claims.tenantId };
  return new SignJWT(payload)
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuer(claims.iss ?? supabaseIssuer())
    .setAudience(claims.aud ?? "authenticated")
    .setSubject(claims.sub)
    .setIssuedAt(now - 60)
    .setExpirationTime(now + (claims.expiresIn ?? 3600))
    .sign(new TextEncoder().encode(secret));
}

/** Polls `probe` every 100 ms until it returns a value that is not undefined, or fails at `timeoutMs`. */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
