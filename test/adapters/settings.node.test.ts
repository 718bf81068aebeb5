// Which external adapters a set of variables configures, and what a half-configured one says.
import { describe, expect, it } from "vitest";
import { externalSettings } from "../../src/adapters/settings";

function parse(vars: Record<string, string>) {
  return externalSettings((name) => vars[name] ?? null);
}

describe("external adapter settings", () => {
  it("nothing set: every port on its embedded adapter, no errors", () => {
    expect(parse({})).toEqual({ upstash: null, qstash: null, supabase: null, jwt: null, errors: {} });
  });

  it("everything set: each service configured; QStash URL defaults; the issuer derives from SUPABASE_URL", () => {
    const s = parse({
      UPSTASH_REDIS_REST_URL: "https://r.upstash.io",
      UPSTASH_REDIS_REST_TOKEN: "t",
      QSTASH_TOKEN: "q",
      QSTASH_CURRENT_SIGNING_KEY: "c",
      QSTASH_NEXT_SIGNING_KEY: "n",
      PUBLIC_URL: "https://edgecrew.example.dev",
      SUPABASE_URL: "https://p.supabase.co/",
      SUPABASE_SERVICE_ROLE_KEY: "k",
      SUPABASE_JWT_SECRET: "s",
    });
    expect(s.errors).toEqual({});
    expect(s.upstash).toEqual({ url: "https://r.upstash.io", token: "t" });
    expect(s.qstash).toMatchObject({ baseUrl: "https://qstash.upstash.io", publicUrl: "https://edgecrew.example.dev" });
    expect(s.supabase).toEqual({ url: "https://p.supabase.co", serviceKey: "k", schema: "public" });
    expect(s.jwt).toEqual({ issuer: "https://p.supabase.co/auth/v1", audience: "authenticated", secret: "s", jwksUrl: null });
  });

  it("a half-configured service is an error naming what is missing, never a silent fallback", () => {
    const s = parse({
      UPSTASH_REDIS_REST_URL: "https://r.upstash.io",
      QSTASH_TOKEN: "q",
      SUPABASE_SERVICE_ROLE_KEY: "k",
      SUPABASE_JWKS_URL: "https://x/jwks",
    });
    expect(s.upstash).toBeNull();
    expect(s.errors.upstash?.problem).toBe("Upstash Redis is partly configured: UPSTASH_REDIS_REST_TOKEN is not set");
    expect(s.errors.qstash?.problem).toMatch(/QSTASH_CURRENT_SIGNING_KEY, QSTASH_NEXT_SIGNING_KEY, PUBLIC_URL are not set/);
    expect(s.errors.supabase?.problem).toMatch(/SUPABASE_URL is not set/);
    expect(s.errors.jwt?.problem).toMatch(/SUPABASE_URL is not set/);
  });

  it("SUPABASE_URL alone is reported (it would otherwise be ignored); with only a JWT secret it is JWT auth only", () => {
    expect(parse({ SUPABASE_URL: "https://p.supabase.co" }).errors.supabase?.problem).toMatch(/SUPABASE_SERVICE_ROLE_KEY/);
    const jwtOnly = parse({ SUPABASE_URL: "https://p.supabase.co", SUPABASE_JWT_SECRET: "s" });
    expect(jwtOnly.supabase).toBeNull();
    expect(jwtOnly.errors).toEqual({});
    expect(jwtOnly.jwt?.issuer).toBe("https://p.supabase.co/auth/v1");
  });
});
