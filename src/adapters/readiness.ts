// Readiness of the configured external adapters and of the auth signing secret (GET /readyz, and
// the Supabase guard at run creation): each adapter check's good result is cached for 30 s per
// configuration, failures never are, and concurrent callers share one check in flight.

import { errorText, log } from "../ops/log";
import { checkUpstash } from "./heartbeats/upstash-check";
import { checkSupabaseSchema, type SupabaseServiceClient } from "./ledger/supabase";
import type { AdapterCheck } from "./readiness-types";
import { checkQStash } from "./scheduler/qstash-check";
import type { ExternalSettings } from "./settings";

export type { AdapterCheck } from "./readiness-types";

/** How long a passing check is trusted (ms). */
export const READY_CACHE_MS = 30_000;

/** The external services readiness knows about. */
export type ExternalAdapter = "upstash" | "qstash" | "supabase" | "jwt";

/** What readiness checks: the external adapters, and `auth` (the secret that signs API keys and stream tickets). */
export type ReadinessCheck = ExternalAdapter | "auth";

/** Each configured external adapter's check and the auth check; `ok` when all pass. */
export interface Readiness {
  ok: boolean;
  checks: Partial<Record<ReadinessCheck, AdapterCheck>>;
}

interface Slot {
  goodUntil: number;
  inFlight: Promise<AdapterCheck> | null;
}

const slots = new WeakMap<object, Map<ExternalAdapter, Slot>>();

async function cached(owner: object, name: ExternalAdapter, run: () => Promise<AdapterCheck>): Promise<AdapterCheck> {
  let bySettings = slots.get(owner);
  if (!bySettings) {
    bySettings = new Map();
    slots.set(owner, bySettings);
  }
  let slot = bySettings.get(name);
  if (!slot) {
    slot = { goodUntil: 0, inFlight: null };
    bySettings.set(name, slot);
  }
  if (slot.goodUntil > Date.now()) return { ok: true };
  if (slot.inFlight) return slot.inFlight;
  const current = slot;
  current.inFlight = run()
    .catch((err: unknown): AdapterCheck => {
      const reason = err instanceof Error ? err.message : String(err);
      return { ok: false, problem: `the ${name} check failed (${reason})`, fix: `check the ${name} settings` };
    })
    .then((result) => {
      current.goodUntil = result.ok ? Date.now() + READY_CACHE_MS : 0;
      if (!result.ok) log.error("adapter.not_ready", "adapter not ready", { adapter: name, problem: result.problem, fix: result.fix });
      return result;
    })
    .finally(() => {
      current.inFlight = null;
    });
  return current.inFlight;
}

/** Whether the Supabase database has every table, column and function of migrations/. */
export function supabaseReadiness(settings: ExternalSettings, client: SupabaseServiceClient): Promise<AdapterCheck> {
  return cached(settings, "supabase", async () => {
    const schema = await checkSupabaseSchema(client);
    return schema.ok ? { ok: true } : { ok: false, problem: `Supabase is missing ${schema.missing}`, fix: schema.fix };
  });
}

async function checkJwks(url: string): Promise<AdapterCheck> {
  const fix = "set SUPABASE_JWKS_URL to the project's JWKS, e.g. <SUPABASE_URL>/auth/v1/.well-known/jwks.json";
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  const body = (await res.json().catch((err: unknown) => {
    log.warn("auth.jwks_invalid", "JWKS is not JSON", { error: errorText(err) });
    return null;
  })) as { keys?: unknown } | null;
  if (!res.ok || !Array.isArray(body?.keys))
    return { ok: false, problem: `SUPABASE_JWKS_URL answered HTTP ${res.status} without keys`, fix };
  return { ok: true };
}

/**
 * Checks every configured external adapter in parallel: half-configured ones fail at once;
 * Upstash gets a PING, QStash a token check, Supabase the schema check, a JWKS URL one fetch.
 * `auth` is the signing-secret check the caller made (a local setting, nothing to fetch).
 */
export async function readiness(
  settings: ExternalSettings,
  supabase: () => SupabaseServiceClient | null,
  auth: AdapterCheck,
): Promise<Readiness> {
  const checks: Partial<Record<ReadinessCheck, AdapterCheck>> = { ...settings.errors, auth };
  const pending: Array<Promise<void>> = [];
  const add = (name: ExternalAdapter, run: () => Promise<AdapterCheck>) =>
    pending.push(
      cached(settings, name, run).then((r) => {
        checks[name] = r;
      }),
    );
  const { upstash, qstash, jwt } = settings;
  if (upstash) add("upstash", () => checkUpstash(upstash));
  if (qstash) add("qstash", () => checkQStash(qstash));
  const client = settings.supabase ? supabase() : null;
  if (client)
    pending.push(
      supabaseReadiness(settings, client).then((r) => {
        checks.supabase = r;
      }),
    );
  if (jwt?.jwksUrl) {
    const url = jwt.jwksUrl;
    add("jwt", () => checkJwks(url));
  }
  await Promise.all(pending);
  return { ok: Object.values(checks).every((c) => c.ok), checks };
}
