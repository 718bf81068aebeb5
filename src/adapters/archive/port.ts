// The RunArchive port: a durable copy of every run that reached a final state, for reporting
// outside the Worker. Adapters: none embedded (the run's Durable Object keeps the run), supabase.

/** One final run as archived: the columns of the `runs` table, `data` holding the full run. */
export interface ArchivedRun {
  id: string;
  tenant_id: string;
  agent: string;
  status: string;
  priority: string;
  input: unknown;
  output: unknown;
  error: unknown;
  usage: unknown;
  /** Credits the run spent, all attempts together. */
  credits_spent: number;
  /** ISO 8601. */
  created_at: string;
  /** ISO 8601, null only for a run that never finished (not archived then). */
  finished_at: string | null;
  /** The run as GET /v1/runs/:id shows it (plan, steps, approvals, metadata). */
  data: unknown;
}

export interface RunArchive {
  /** Writes or replaces the run's row (idempotent by run id: a retried run's final state wins). */
  archive(run: ArchivedRun): Promise<void>;
}
