// Credit movements of a tenant whose ledger is external (Supabase, chosen in deps.ts): the
// reservation at run creation (after a cached schema check, so a broken database refuses runs
// up front), the settlement a run's sync carries, and releases. Same idempotency keys as the
// embedded ledger; Postgres serialises each tenant's movements, so `available` never goes negative.

import type { CreditLedger } from "../adapters/ledger/port";
import { supabaseReadiness } from "../adapters/readiness";
import { externalAdapters, supabaseClient } from "../deps";
import { ApiError } from "../domain/errors";
import { errorText, log } from "../ops/log";
import { isFinal } from "../run/state";
import type { RunSync, TenantError } from "./protocol";

const unavailable = (message: string): TenantError => ({ error: { code: "unavailable", message } });

/** Why a call failed, for the caller: an API error's message (it names the fix), else a generic one. */
function describe(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  log.error("ledger.error", "external credit ledger call failed", { error: errorText(err) });
  return "the credit ledger could not be reached; nothing was charged, please retry";
}

/**
 * Reserves `amount` for a new run (or a retry) in the external ledger. Refuses with `unavailable`
 * (naming the missing table, column or function and the fix) when the database is not ready,
 * and with `insufficient_credits` when the balance is short; either way nothing was reserved.
 */
export async function reserveExternally(
  env: Env,
  ledger: CreditLedger,
  tenantId: string,
  runId: string,
  amount: number,
  key: string,
): Promise<{ ok: true } | TenantError> {
  const client = supabaseClient(env);
  if (client) {
    const ready = await supabaseReadiness(externalAdapters(env), client);
    if (!ready.ok) return unavailable(`credit ledger (Supabase) is not ready: ${ready.problem}; fix: ${ready.fix}`);
  }
  try {
    const r = await ledger.reserve(tenantId, runId, amount, key);
    if (r.ok) return { ok: true };
    return {
      error: {
        code: "insufficient_credits",
        message: `this run reserves ${amount} credits but only ${r.balance.available} are available`,
        details: { required: amount, available: r.balance.available },
      },
    };
  } catch (err) {
    return unavailable(describe(err));
  }
}

/**
 * Applies a run's sync to the external ledger: its new charges, then (final states) the release
 * of what it still holds. Throws when the ledger fails, so the run object retries the whole sync
 * (every movement is idempotent by key). Returns the credits asked for by the new charges.
 */
export async function settleExternally(ledger: CreditLedger, tenantId: string, s: RunSync): Promise<number> {
  if (s.charges.length > 0) await ledger.charge(tenantId, s.id, s.charges);
  if (isFinal(s.status)) await ledger.release(tenantId, s.id, `release:${s.id}:${s.attempt}`);
  return s.charges.reduce((sum, c) => sum + c.amount, 0);
}

/** Releases a reservation nobody will use (a refused or failed creation); a failure is logged. */
export async function releaseExternally(ledger: CreditLedger, tenantId: string, runId: string, key: string): Promise<void> {
  try {
    await ledger.release(tenantId, runId, key);
  } catch (err) {
    // The reservation stays held until an operator releases it; say so loudly.
    log.error("ledger.release_failed", "external release failed; the run's reservation stays held", {
      run_id: runId,
      tenant: tenantId,
      charge: key,
      error: describe(err),
    });
  }
}
