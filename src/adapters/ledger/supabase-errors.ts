// Errors of the Supabase ledger: PostgREST / Postgres error codes classified into a closed set,
// with a message that names what is wrong and how to fix it (never a key).

/** The one fix for a database that lacks a table, column or function of migrations/. */
export const MIGRATE_FIX = "run `npm run migrate` with DATABASE_URL set to the Supabase database connection string";

/** schema_missing: run migrations; unauthorized: fix the key; invalid_argument: caller bug; unavailable: retry. */
export type SupabaseLedgerErrorCode = "schema_missing" | "unauthorized" | "invalid_argument" | "unavailable";

/** A ledger call Supabase refused or could not serve. `fix` says what the operator should do. */
export class SupabaseLedgerError extends Error {
  constructor(
    readonly code: SupabaseLedgerErrorCode,
    message: string,
    readonly fix?: string,
  ) {
    super(fix ? `${message}; fix: ${fix}` : message);
    this.name = "SupabaseLedgerError";
  }
}

/** The fields of a PostgREST error supabase-js hands back (status comes from the response). */
export interface PostgrestFailure {
  code?: string | null;
  message?: string | null;
  details?: string | null;
}

const SCHEMA_CODES = new Set(["PGRST202", "PGRST204", "PGRST205", "42883", "42P01", "42703"]);
const ARGUMENT_CODES = new Set(["22023", "22P02", "22003", "23514", "P0001"]);
const AUTH_CODES = new Set(["PGRST301", "PGRST302", "PGRST303", "42501"]);

/** Classifies a failed call of `what` (e.g. "function ledger_reserve") by code and status. */
export function classifySupabaseError(what: string, error: PostgrestFailure, status: number): SupabaseLedgerError {
  const code = error.code ?? "";
  const message = error.message ?? "no message";
  if (SCHEMA_CODES.has(code)) {
    return new SupabaseLedgerError("schema_missing", `Supabase schema is missing ${what} (${code}: ${message})`, MIGRATE_FIX);
  }
  if (status === 401 || status === 403 || AUTH_CODES.has(code)) {
    return new SupabaseLedgerError(
      "unauthorized",
      `Supabase refused ${what} (${status}${code ? ` ${code}` : ""}: ${message})`,
      "set SUPABASE_SERVICE_ROLE_KEY to the project's service_role key",
    );
  }
  if (ARGUMENT_CODES.has(code)) {
    return new SupabaseLedgerError("invalid_argument", `Supabase rejected the arguments of ${what}: ${message}`);
  }
  if (status === 0) {
    return new SupabaseLedgerError("unavailable", `Supabase is unreachable for ${what}: ${message}`, "check SUPABASE_URL");
  }
  return new SupabaseLedgerError("unavailable", `Supabase failed ${what} (${status}${code ? ` ${code}` : ""}: ${message})`);
}
