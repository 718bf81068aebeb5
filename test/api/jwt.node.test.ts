// Supabase JWT verification on its own: HS256 and a JWKS (RS256) served by a local server, the
// tenant claim, and the reasons given for each refusal.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JwtSettings } from "../../src/adapters/settings";
import { looksLikeJwt, verifySupabaseJwt } from "../../src/api/jwt";

const ISSUER = "https://project.supabase.co/auth/v1";
const SECRET = "a-test-secret-that-is-long-enough-for-hs256";
const SUB = "0b9f6a3e-5c1d-4d1e-9a43-2f7d0c8e4b11";
const hs: JwtSettings = { issuer: ISSUER, audience: "authenticated", secret: SECRET, jwksUrl: null };

function token(claims: Record<string, unknown>, opts: { aud?: string; iss?: string; exp?: number; sub?: string } = {}) {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT(claims)
    .setProtectedHeader({ alg: "HS256" })
    .setIssuer(opts.iss ?? ISSUER)
    .setAudience(opts.aud ?? "authenticated")
    .setSubject(opts.sub ?? SUB)
    .setExpirationTime(opts.exp ?? now + 600)
    .sign(new TextEncoder().encode(SECRET));
}

describe("verifySupabaseJwt (HS256)", () => {
  it("takes the tenant from app_metadata.tenant_id, else from sub, and always names the subject", async () => {
    expect(await verifySupabaseJwt(await token({ app_metadata: { tenant_id: "acme" } }), hs)).toEqual({
      ok: true,
      tenant: "acme",
      subject: SUB,
    });
    expect(await verifySupabaseJwt(await token({}), hs)).toEqual({ ok: true, tenant: SUB, subject: SUB });
  });

  it("names why a token is refused", async () => {
    const past = Math.floor(Date.now() / 1000) - 60;
    expect(await verifySupabaseJwt(await token({}, { aud: "anon" }), hs)).toMatchObject({ ok: false, reason: /claim aud/ });
    expect(await verifySupabaseJwt(await token({}, { iss: "https://evil.example/auth/v1" }), hs)).toMatchObject({
      ok: false,
      reason: /claim iss/,
    });
    expect(await verifySupabaseJwt(await token({}, { exp: past }), hs)).toEqual({ ok: false, reason: "the token has expired" });
    expect(await verifySupabaseJwt(await token({}), { ...hs, secret: "another-secret-that-is-long-enough-too" })).toEqual({
      ok: false,
      reason: "the signature does not verify",
    });
    expect(await verifySupabaseJwt(await token({ app_metadata: { tenant_id: "Bad_Tenant" } }), hs)).toMatchObject({
      ok: false,
      reason: /names no tenant/,
    });
  });

  it("tells JWTs from API keys", () => {
    expect(looksLikeJwt("ec_acme_abcdef")).toBe(false);
    expect(looksLikeJwt("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.sig")).toBe(true);
  });
});

describe("verifySupabaseJwt (JWKS)", () => {
  let server: Server;
  let jwksUrl: string;
  let privateKey: CryptoKey;

  beforeAll(async () => {
    const pair = await generateKeyPair("RS256");
    privateKey = pair.privateKey as CryptoKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: "k1", alg: "RS256", use: "sig" };
    server = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
    jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/auth/v1/.well-known/jwks.json`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it("verifies a token signed by a key of the JWKS and refuses an HS256 token", async () => {
    const settings: JwtSettings = { issuer: ISSUER, audience: "authenticated", secret: null, jwksUrl };
    const signed = await new SignJWT({ app_metadata: { tenant_id: "acme" } })
      .setProtectedHeader({ alg: "RS256", kid: "k1" })
      .setIssuer(ISSUER)
      .setAudience("authenticated")
      .setSubject("user-1")
      .setExpirationTime("5m")
      .sign(privateKey);
    expect(await verifySupabaseJwt(signed, settings)).toEqual({ ok: true, tenant: "acme", subject: "user-1" });
    expect(await verifySupabaseJwt(await token({}), settings)).toMatchObject({ ok: false, reason: /algorithm|JWKS/ });
  });
});
