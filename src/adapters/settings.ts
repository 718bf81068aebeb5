// Settings of the external adapters (docs/adapters.md), parsed from named values that deps.ts reads
// from the environment. A service is configured when any of its variables is set; a service with
// some but not all of its required variables is an error naming the missing ones.
import type { UpstashHeartbeatsConfig } from "./heartbeats/upstash";
import type { SupabaseConfig } from "./ledger/supabase";
import type { AdapterCheck } from "./readiness-types";

/** QStash: the scheduler's publisher settings plus the keys its deliveries are verified with. */
export interface QStashSettings {
  /** QSTASH_URL, default https://qstash.upstash.io. */
  baseUrl: string;
  token: string;
  currentSigningKey: string;
  nextSigningKey: string;
  /** PUBLIC_URL: where QStash reaches this deployment. */
  publicUrl: string;
}

/** Supabase JWT verification: HS256 secret or a JWKS URL; `issuer` is `${SUPABASE_URL}/auth/v1`. */
export interface JwtSettings {
  issuer: string;
  audience: string;
  secret: string | null;
  jwksUrl: string | null;
}

/** Every external service: its settings when fully configured, else null; `errors` for half-configured ones. */
export interface ExternalSettings {
  upstash: UpstashHeartbeatsConfig | null;
  qstash: QStashSettings | null;
  supabase: SupabaseConfig | null;
  jwt: JwtSettings | null;
  errors: Partial<Record<"upstash" | "qstash" | "supabase" | "jwt", Extract<AdapterCheck, { ok: false }>>>;
}

type Get = (name: string) => string | null;

function missing(get: Get, names: string[]): string[] {
  return names.filter((n) => get(n) === null);
}

function partly(service: string, absent: string[]): Extract<AdapterCheck, { ok: false }> {
  return {
    ok: false,
    problem: `${service} is partly configured: ${absent.join(", ")} ${absent.length === 1 ? "is" : "are"} not set`,
    fix: `set ${absent.join(" and ")}, or unset the other ${service} variables to use the embedded default`,
  };
}

/** Parses the settings of Upstash Redis, QStash, the Supabase ledger and Supabase JWT auth. */
export function externalSettings(get: Get): ExternalSettings {
  const out: ExternalSettings = { upstash: null, qstash: null, supabase: null, jwt: null, errors: {} };

  const upstashVars = ["UPSTASH_REDIS_REST_URL", "UPSTASH_REDIS_REST_TOKEN"];
  if (upstashVars.some((n) => get(n) !== null)) {
    const absent = missing(get, upstashVars);
    if (absent.length > 0) out.errors.upstash = partly("Upstash Redis", absent);
    else out.upstash = { url: get("UPSTASH_REDIS_REST_URL")!, token: get("UPSTASH_REDIS_REST_TOKEN")! };
  }

  const qstashVars = ["QSTASH_TOKEN", "QSTASH_CURRENT_SIGNING_KEY", "QSTASH_NEXT_SIGNING_KEY", "PUBLIC_URL"];
  if (["QSTASH_URL", ...qstashVars.slice(0, 3)].some((n) => get(n) !== null)) {
    const absent = missing(get, qstashVars);
    if (absent.length > 0) out.errors.qstash = partly("QStash", absent);
    else
      out.qstash = {
        baseUrl: get("QSTASH_URL") ?? "https://qstash.upstash.io",
        token: get("QSTASH_TOKEN")!,
        currentSigningKey: get("QSTASH_CURRENT_SIGNING_KEY")!,
        nextSigningKey: get("QSTASH_NEXT_SIGNING_KEY")!,
        publicUrl: get("PUBLIC_URL")!,
      };
  }

  const url = get("SUPABASE_URL")?.replace(/\/+$/, "") ?? null;
  const serviceKey = get("SUPABASE_SERVICE_ROLE_KEY");
  const secret = get("SUPABASE_JWT_SECRET");
  const jwksUrl = get("SUPABASE_JWKS_URL");
  if (serviceKey !== null || (url !== null && secret === null && jwksUrl === null)) {
    const absent = missing(get, ["SUPABASE_URL", "SUPABASE_SERVICE_ROLE_KEY"]);
    if (absent.length > 0) out.errors.supabase = partly("the Supabase ledger", absent);
    else out.supabase = { url: url!, serviceKey: serviceKey!, schema: get("SUPABASE_SCHEMA") ?? "public" };
  }
  if (secret !== null || jwksUrl !== null) {
    if (url === null) out.errors.jwt = partly("Supabase JWT auth", ["SUPABASE_URL"]);
    else out.jwt = { issuer: `${url}/auth/v1`, audience: "authenticated", secret, jwksUrl };
  }
  return out;
}
