// The tenant's index of approvals across its runs, for GET /v1/approvals (kept from run syncs).

import type { ApprovalView } from "../run/view";
import type { StoreSchema } from "../storage/migrations";

/** The index table, by schema step (src/storage/migrations.ts); released steps are never edited. */
export const APPROVALS_INDEX_SCHEMA: StoreSchema = {
  store: "approvals-index",
  steps: [
    `CREATE TABLE IF NOT EXISTS approvals (id TEXT PRIMARY KEY, run_id TEXT NOT NULL, status TEXT NOT NULL,
      data TEXT NOT NULL, expires_at TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS approvals_status ON approvals (status, id);`,
  ],
};

export class ApprovalsIndex {
  /** Opens the index of a storage already migrated to APPROVALS_INDEX_SCHEMA. */
  constructor(private readonly sql: SqlStorage) {}

  /** Upserts approvals; returns those whose status changed (new ones included). */
  upsert(list: ApprovalView[]): ApprovalView[] {
    const changed: ApprovalView[] = [];
    for (const a of list) {
      const prev = this.sql.exec("SELECT status FROM approvals WHERE id = ?", a.id).toArray()[0];
      if (prev && prev.status === a.status) continue;
      this.sql.exec(
        "INSERT OR REPLACE INTO approvals (id, run_id, status, data, expires_at) VALUES (?,?,?,?,?)",
        a.id,
        a.run_id,
        a.status,
        JSON.stringify(a),
        a.expires_at,
      );
      changed.push(a);
    }
    return changed;
  }

  list(status: string | null, limit: number): ApprovalView[] {
    const rows = status
      ? this.sql.exec("SELECT data FROM approvals WHERE status = ? ORDER BY id LIMIT ?", status, limit).toArray()
      : this.sql.exec("SELECT data FROM approvals ORDER BY id LIMIT ?", limit).toArray();
    return rows.map((r) => JSON.parse(r.data as string) as ApprovalView);
  }

  countPending(): number {
    return this.sql.exec("SELECT count(*) AS n FROM approvals WHERE status = 'pending'").one().n as number;
  }
}
