// The archived form of a final run for the RunArchive port (Supabase `runs` when configured).

import type { ArchivedRun } from "../adapters/archive/port";
import { runArchive } from "../deps";
import type { RunView } from "./view";

/** The `runs` row of a run: its columns, with the whole run as `data`. */
export function archivedRun(tenantId: string, view: RunView): ArchivedRun {
  return {
    id: view.id,
    tenant_id: tenantId,
    agent: view.agent,
    status: view.status,
    priority: view.priority,
    input: view.input,
    output: view.output,
    error: view.error,
    usage: view.usage,
    credits_spent: view.credits.spent,
    created_at: view.created_at ?? new Date().toISOString(),
    finished_at: view.finished_at,
    data: view,
  };
}

/** Archives a final run when an archive is configured (an idempotent upsert); throws on failure. */
export async function archiveFinalRun(env: Env, tenantId: string, view: RunView): Promise<void> {
  const archive = runArchive(env);
  if (archive) await archive.archive(archivedRun(tenantId, view));
}
