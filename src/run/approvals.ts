// A run's approvals: requests for a person's decision on a tool call, stored in the run's SQLite.
// Ids embed the run id (`apr_<run suffix>_<n>`) so an approval finds its run without a lookup.

import type { StoreSchema } from "../storage/migrations";
import type { ApprovalView } from "./view";

/** The run's approvals table, by schema step (src/storage/migrations.ts); released steps are never edited. */
export const APPROVALS_SCHEMA: StoreSchema = {
  store: "approvals",
  steps: [
    `CREATE TABLE IF NOT EXISTS approvals (
  n INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, step INTEGER NOT NULL, tool TEXT NOT NULL, input TEXT,
  reason TEXT NOT NULL, status TEXT NOT NULL, expires_at INTEGER NOT NULL, decided_at INTEGER,
  decision TEXT, comment TEXT, created_at INTEGER NOT NULL)`,
  ],
};

/** The approval id for the n-th approval of a run. */
export function approvalId(runId: string, n: number): string {
  return `apr_${runId.slice(4)}_${n}`;
}

/** The run an approval id belongs to, or null when it is not an approval id. */
export function approvalRun(id: string): string | null {
  const m = /^apr_([0-9a-z]{21})_[0-9]{1,6}$/.exec(id);
  return m ? `run_${m[1]}` : null;
}

export class ApprovalStore {
  /** Opens the approvals of a storage already migrated to APPROVALS_SCHEMA. */
  constructor(private readonly sql: SqlStorage) {}

  create(runId: string, a: { step: number; tool: string; input: unknown; reason: string; expiresAt: number }, now: number): ApprovalView {
    const n = ((this.sql.exec("SELECT max(n) AS n FROM approvals").one().n as number | null) ?? 0) + 1;
    const id = approvalId(runId, n);
    this.sql.exec(
      "INSERT INTO approvals (n, id, step, tool, input, reason, status, expires_at, created_at) VALUES (?,?,?,?,?,?,'pending',?,?)",
      n,
      id,
      a.step,
      a.tool,
      JSON.stringify(a.input ?? null),
      a.reason.slice(0, 1000),
      a.expiresAt,
      now,
    );
    return this.get(runId, id)!;
  }

  get(runId: string, id: string): ApprovalView | null {
    const r = this.sql.exec("SELECT * FROM approvals WHERE id = ?", id).toArray()[0];
    return r ? this.view(runId, r) : null;
  }

  all(runId: string): ApprovalView[] {
    return this.sql
      .exec("SELECT * FROM approvals ORDER BY n")
      .toArray()
      .map((r) => this.view(runId, r));
  }

  pending(runId: string): ApprovalView[] {
    return this.sql
      .exec("SELECT * FROM approvals WHERE status = 'pending' ORDER BY n")
      .toArray()
      .map((r) => this.view(runId, r));
  }

  /** The earliest expiry among pending approvals, or null. */
  nextExpiry(): number | null {
    return (this.sql.exec("SELECT min(expires_at) AS t FROM approvals WHERE status = 'pending'").one().t as number | null) ?? null;
  }

  decide(id: string, status: "approved" | "rejected" | "expired", comment: string | null, input: unknown, now: number): void {
    const decision = status === "approved" ? "approve" : "reject";
    const patch = input === undefined ? "" : ", input = ?";
    const args: SqlStorageValue[] = [status, decision, comment, now];
    if (input !== undefined) args.push(JSON.stringify(input));
    this.sql.exec(`UPDATE approvals SET status = ?, decision = ?, comment = ?, decided_at = ?${patch} WHERE id = ?`, ...args, id);
  }

  private view(runId: string, r: Record<string, SqlStorageValue>): ApprovalView {
    const iso = (v: SqlStorageValue | undefined) => (typeof v === "number" ? new Date(v).toISOString() : null);
    return {
      id: r.id as string,
      run_id: runId,
      step: r.step as number,
      tool: r.tool as string,
      input: JSON.parse((r.input as string | null) ?? "null") as unknown,
      reason: r.reason as string,
      status: r.status as ApprovalView["status"],
      expires_at: iso(r.expires_at)!,
      decided_at: iso(r.decided_at),
      decision: (r.decision as ApprovalView["decision"]) ?? null,
      comment: (r.comment as string | null) ?? null,
    };
  }
}
