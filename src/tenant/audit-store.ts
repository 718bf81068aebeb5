// The tenant's audit trail (GET /v1/audit): every change a person or key made, with its actor,
// appended once and listed by a cursor. Callers never put a secret in `details`.

import type { Actor } from "../domain/actor";
import { newId } from "../domain/ids";
import type { StoreSchema } from "../storage/migrations";

/** The audit table, by schema step (src/storage/migrations.ts); released steps are never edited. */
export const AUDIT_SCHEMA: StoreSchema = {
  store: "audit",
  steps: [
    `CREATE TABLE IF NOT EXISTS audit (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, at INTEGER NOT NULL,
      actor_type TEXT NOT NULL, actor_id TEXT NOT NULL, action TEXT NOT NULL, target_type TEXT NOT NULL,
      target_id TEXT NOT NULL, details TEXT NOT NULL)`,
  ],
};

/** The changes the trail records (docs/api.md, Audit trail). */
export type AuditAction =
  | "tenant.created"
  | "key.created"
  | "key.revoked"
  | "credits.topped_up"
  | "approval.decided"
  | "run.canceled"
  | "run.retried"
  | "run.redriven"
  | "run.resolved"
  | "agent.put"
  | "agent.deleted"
  | "webhook.set"
  | "feedback.created";

/** What was changed: a run, approval, API key, agent, the tenant (credits), its webhook or a feedback. */
export interface AuditTarget {
  type: "run" | "approval" | "api_key" | "agent" | "tenant" | "webhook" | "feedback";
  id: string;
}

/** A change to record. */
export interface AuditRecord {
  actor: Actor;
  action: AuditAction;
  target: AuditTarget;
  details: Record<string, unknown>;
}

/** One entry as GET /v1/audit shows it. */
export interface AuditEntry extends AuditRecord {
  id: string;
  at: string;
}

export class AuditStore {
  /** Opens the trail of a storage already migrated to AUDIT_SCHEMA. */
  constructor(private readonly sql: SqlStorage) {}

  /** Appends an entry (one row). */
  append(r: AuditRecord, now: number): AuditEntry {
    const id = newId("aud");
    this.sql.exec(
      "INSERT INTO audit (id, at, actor_type, actor_id, action, target_type, target_id, details) VALUES (?,?,?,?,?,?,?,?)",
      id,
      now,
      r.actor.type,
      r.actor.id,
      r.action,
      r.target.type,
      r.target.id,
      JSON.stringify(r.details),
    );
    return {
      id,
      at: new Date(now).toISOString(),
      actor: { type: r.actor.type, id: r.actor.id },
      action: r.action,
      target: r.target,
      details: r.details,
    };
  }

  /** Entries after the cursor (a position), oldest first; `next_after` continues after the last. */
  list(after: number, limit: number): { entries: AuditEntry[]; next_after: number } {
    const rows = this.sql.exec("SELECT * FROM audit WHERE seq > ? ORDER BY seq LIMIT ?", after, limit).toArray();
    const entries = rows.map((r) => ({
      id: r.id as string,
      at: new Date(r.at as number).toISOString(),
      actor: { type: r.actor_type as Actor["type"], id: r.actor_id as string },
      action: r.action as AuditAction,
      target: { type: r.target_type as AuditTarget["type"], id: r.target_id as string },
      details: JSON.parse(r.details as string) as Record<string, unknown>,
    }));
    const last = rows[rows.length - 1];
    return { entries, next_after: last ? (last.seq as number) : after };
  }
}
