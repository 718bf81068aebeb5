// The CreditLedger port over Supabase: every operation is one RPC to a Postgres function of
// migrations/0002 (atomic, idempotent by key). Also creates the service-role client.
import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import type { Balance, Charge, CreditLedger, LedgerEntry, LedgerKind, ReserveResult } from "./port";
import { classifySupabaseError, SupabaseLedgerError } from "./supabase-errors";

export { MIGRATE_FIX, SupabaseLedgerError, type SupabaseLedgerErrorCode } from "./supabase-errors";
export { checkSupabaseSchema, LATEST_MIGRATION, type SchemaCheck } from "./supabase-schema";

/** Plain configuration of the Supabase adapters (values from the environment, read elsewhere). */
export interface SupabaseConfig {
  /** SUPABASE_URL, e.g. https://xyz.supabase.co. */
  url: string;
  /** SUPABASE_SERVICE_ROLE_KEY. */
  serviceKey: string;
  /** Exposed schema holding the migrations' objects. Default "public". */
  schema?: string;
}

/** The untyped service-role client (`any` is supabase-js's own default for an untyped database). */
export type SupabaseServiceClient = SupabaseClient<any, string, string>;

/** A server-side client acting as the service role: no session, no token refresh. */
export function createSupabaseServiceClient(config: SupabaseConfig): SupabaseServiceClient {
  return createClient<any, string, string>(config.url, config.serviceKey, {
    db: { schema: config.schema ?? "public" },
    accessToken: async () => config.serviceKey,
  });
}

const KINDS: readonly LedgerKind[] = ["reserve", "charge", "release", "topup"];

function toBalance(fn: string, raw: unknown): Balance {
  const v = raw as Record<string, unknown> | null;
  const available = Number(v?.available);
  const reserved = Number(v?.reserved);
  const spent = Number(v?.spent_total);
  if (![available, reserved, spent].every(Number.isFinite)) {
    throw new SupabaseLedgerError("unavailable", `Supabase function ${fn} returned an unexpected balance`);
  }
  return { available, reserved, spent_total: spent };
}

function toEntry(raw: unknown): LedgerEntry {
  const v = raw as Record<string, unknown>;
  const kind = v.kind as LedgerKind;
  if (typeof v.id !== "string" || !KINDS.includes(kind) || typeof v.created_at !== "string") {
    throw new SupabaseLedgerError("unavailable", "Supabase function ledger_page returned an unexpected entry");
  }
  return {
    id: v.id,
    run_id: typeof v.run_id === "string" ? v.run_id : null,
    kind,
    amount: Number(v.amount),
    balance_after: Number(v.balance_after),
    created_at: new Date(v.created_at).toISOString(),
  };
}

/**
 * A CreditLedger kept in Supabase Postgres. Throws SupabaseLedgerError: `schema_missing` (with the
 * `npm run migrate` fix) when a function or column is absent, `unauthorized` for a bad key,
 * `invalid_argument` for a non-positive amount or bad cursor, `unavailable` otherwise.
 */
export function supabaseLedger(config: SupabaseConfig): CreditLedger {
  const client = createSupabaseServiceClient(config);

  async function call(fn: string, args: Record<string, unknown>): Promise<unknown> {
    const { data, error, status } = await client.rpc(fn, args);
    if (error) throw classifySupabaseError(`function ${fn}(${Object.keys(args).join(", ")})`, error, status);
    return data;
  }

  return {
    async reserve(tenantId, runId, amount, key): Promise<ReserveResult> {
      const data = (await call("ledger_reserve", { p_tenant_id: tenantId, p_run_id: runId, p_amount: amount, p_key: key })) as {
        ok?: unknown;
        balance?: unknown;
      } | null;
      const balance = toBalance("ledger_reserve", data?.balance);
      return data?.ok === true ? { ok: true, balance } : { ok: false, balance };
    },

    async charge(tenantId, runId, charges: Charge[]) {
      const list = charges.map((c) => ({ key: c.key, amount: c.amount }));
      return toBalance("ledger_charge", await call("ledger_charge", { p_tenant_id: tenantId, p_run_id: runId, p_charges: list }));
    },

    async release(tenantId, runId, key) {
      return toBalance("ledger_release", await call("ledger_release", { p_tenant_id: tenantId, p_run_id: runId, p_key: key }));
    },

    async topUp(tenantId, amount, key, reason) {
      const args = { p_tenant_id: tenantId, p_amount: amount, p_key: key, p_reason: reason ?? null };
      return toBalance("ledger_top_up", await call("ledger_top_up", args));
    },

    async balance(tenantId) {
      return toBalance("ledger_balance", await call("ledger_balance", { p_tenant_id: tenantId }));
    },

    async ledger(tenantId, limit, cursor) {
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
        throw new SupabaseLedgerError("invalid_argument", `ledger page limit must be an integer from 1 to 1000, got ${limit}`);
      }
      // One extra row tells whether another page follows.
      const rows = await call("ledger_page", { p_tenant_id: tenantId, p_limit: limit + 1, p_cursor: cursor ?? null });
      if (!Array.isArray(rows)) throw new SupabaseLedgerError("unavailable", "Supabase function ledger_page returned no list");
      const entries = rows.slice(0, limit).map(toEntry);
      const last = entries[entries.length - 1];
      return { entries, next_cursor: rows.length > limit && last ? last.id : null };
    },
  };
}
