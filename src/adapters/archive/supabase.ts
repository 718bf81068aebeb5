// The RunArchive port over Supabase: one upsert into the `runs` table of migrations/0001 per final
// run, through the service-role client. Errors are classified like the ledger's (with the fix).

import type { SupabaseServiceClient } from "../ledger/supabase";
import { classifySupabaseError } from "../ledger/supabase-errors";
import type { ArchivedRun, RunArchive } from "./port";

/**
 * Archives final runs in Supabase Postgres: one request per run (`POST /rest/v1/runs` with
 * `on_conflict=id`, merging duplicates). Throws SupabaseLedgerError (`schema_missing` with the
 * `npm run migrate` fix when the table or a column is absent).
 */
export function supabaseArchive(client: SupabaseServiceClient): RunArchive {
  return {
    async archive(run: ArchivedRun) {
      const { error, status } = await client.from("runs").upsert(run, { onConflict: "id" });
      if (error) throw classifySupabaseError("table runs", error, status);
    },
  };
}
