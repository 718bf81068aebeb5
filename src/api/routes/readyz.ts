// GET /readyz (no auth): 200 when a model is configured, the signing secret of API keys is usable
// and every configured external adapter works, else 503 naming each failure with its fix. Never
// shows a secret; a passing
// adapter check is cached for 30 s.

import type { Context } from "hono";
import { type AdapterCheck, readiness } from "../../adapters/readiness";
import { externalAdapters, modelSelection, supabaseClient } from "../../deps";
import { ApiError } from "../../domain/errors";
import type { AppEnv } from "../app-env";
import { signingSecretCheck } from "../auth-settings";

/** The adapter in use for each port, as /readyz reports it. */
function inUse(env: Env) {
  const s = externalAdapters(env);
  const model = modelSelection(env);
  return {
    model: model.ok ? model.provider : "none",
    heartbeats: s.upstash ? "upstash" : "durable",
    scheduler: s.qstash ? "qstash" : "durable",
    ledger: s.supabase ? "supabase" : "durable",
    archive: s.supabase ? "supabase" : "durable",
    auth: s.jwt ? "api_keys+supabase_jwt" : "api_keys",
  };
}

/** The /readyz handler. */
export async function readyz(c: Context<AppEnv>) {
  const settings = externalAdapters(c.env);
  const result = await readiness(settings, () => (settings.supabase ? supabaseClient(c.env) : null), signingSecretCheck(c.env));
  const model = modelSelection(c.env);
  const checks: Record<string, AdapterCheck> = { ...(model.ok ? {} : { model }), ...result.checks };
  const adapters = inUse(c.env);
  if (result.ok && model.ok) return c.json({ ok: true as const, adapters }, 200);
  const failing = Object.entries(checks).flatMap(([name, check]) => (check.ok ? [] : [{ adapter: name, ...check }]));
  const message = `not ready: ${failing.map((f) => `${f.adapter}: ${f.problem} (fix: ${f.fix})`).join("; ")}`;
  throw new ApiError("unavailable", message, { adapters, failing });
}
