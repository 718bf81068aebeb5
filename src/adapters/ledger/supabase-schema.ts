// The readiness check of the Supabase side: every table and column the adapters read, the
// migration version and the ledger functions, reported as the first thing missing plus its fix.
import type { SupabaseClient } from "@supabase/supabase-js";
import { MIGRATE_FIX } from "./supabase-errors";

/** Highest file number in migrations/; a database below it is out of date. */
export const LATEST_MIGRATION = 2;

/** Tables and columns the Supabase adapters rely on, in the order they are checked. */
export const REQUIRED_COLUMNS: Readonly<Record<string, readonly string[]>> = {
  schema_migrations: ["version", "name", "applied_at"],
  tenants: ["id", "name", "created_at"],
  credit_balances: ["tenant_id", "available_credits", "reserved_credits", "spent_total", "updated_at"],
  credit_reservations: ["tenant_id", "run_id", "reserved", "spent", "released", "updated_at"],
  credit_ledger: ["id", "tenant_id", "run_id", "kind", "amount", "balance_after", "idem_key", "reason", "created_at"],
  runs: [
    "id",
    "tenant_id",
    "agent",
    "status",
    "priority",
    "input",
    "output",
    "error",
    "usage",
    "credits_spent",
    "created_at",
    "finished_at",
    "data",
  ],
};

/** Ready, or the first thing missing and the fix. */
export type SchemaCheck = { ok: true } | { ok: false; missing: string; fix: string };

interface Failure {
  code?: string | null;
  message?: string | null;
}

const KEY_FIX = "set SUPABASE_SERVICE_ROLE_KEY to the project's service_role key";

function otherFailure(status: number, error: Failure): SchemaCheck {
  if (status === 401 || status === 403) {
    return { ok: false, missing: `access to the database (Supabase answered ${status}: ${error.message ?? ""})`, fix: KEY_FIX };
  }
  if (status === 0) {
    return { ok: false, missing: `a reachable Supabase (${error.message ?? "network error"})`, fix: "check SUPABASE_URL" };
  }
  return { ok: false, missing: `a working Supabase (${status} ${error.code ?? ""}: ${error.message ?? ""})`, fix: MIGRATE_FIX };
}

// The client's schema generics do not matter here: only untyped table and rpc calls are made.
type AnyClient = SupabaseClient<any, any, any>;

async function checkTable(client: AnyClient, table: string, columns: readonly string[]): Promise<SchemaCheck> {
  const { error, status } = await client.from(table).select(columns.join(",")).limit(1);
  if (!error) return { ok: true };
  if (error.code === "PGRST205" || error.code === "42P01") return { ok: false, missing: `table ${table}`, fix: MIGRATE_FIX };
  if (error.code !== "42703") return otherFailure(status, error);
  // Postgres names only the first unknown column; ask for each to name it exactly.
  for (const column of columns) {
    const one = await client.from(table).select(column).limit(1);
    if (one.error?.code === "42703") return { ok: false, missing: `column ${table}.${column}`, fix: MIGRATE_FIX };
  }
  return { ok: false, missing: `a column of ${table} (${error.message})`, fix: MIGRATE_FIX };
}

/**
 * Checks that the Supabase database has everything the ledger and archive adapters use. Makes one
 * read per table (in parallel), one for the migration version and one read-only RPC. For /readyz.
 */
export async function checkSupabaseSchema(client: AnyClient): Promise<SchemaCheck> {
  const tables = await Promise.all(Object.entries(REQUIRED_COLUMNS).map(([table, columns]) => checkTable(client, table, columns)));
  const broken = tables.find((t) => !t.ok);
  if (broken) return broken;
  const versions = await client.from("schema_migrations").select("version").order("version", { ascending: false }).limit(1);
  if (versions.error) return otherFailure(versions.status, versions.error);
  const current = Number((versions.data as Array<{ version: number }>)[0]?.version ?? 0);
  if (current < LATEST_MIGRATION) {
    return { ok: false, missing: `migration ${LATEST_MIGRATION} (the database is at ${current})`, fix: MIGRATE_FIX };
  }
  const probe = await client.rpc("ledger_balance", { p_tenant_id: "__readyz__" });
  if (probe.error) {
    if (probe.error.code === "PGRST202" || probe.error.code === "42883")
      return { ok: false, missing: "function ledger_balance", fix: MIGRATE_FIX };
    return otherFailure(probe.status, probe.error);
  }
  return { ok: true };
}
