// The tenant's domain event log (GET /v1/events): run lifecycle events that concern the tenant's
// systems and every `emit_event`, each written once, listed by a cursor.

import { newId } from "../domain/ids";
import type { StoreSchema } from "../storage/migrations";

export interface DomainEvent {
  id: string;
  type: string;
  run_id: string | null;
  agent: string | null;
  data: unknown;
  created_at: string;
}

/** The domain event log, by schema step (src/storage/migrations.ts); released steps are never edited. */
export const EVENTS_SCHEMA: StoreSchema = {
  store: "events",
  steps: [
    `CREATE TABLE IF NOT EXISTS domain_events (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,
      dedup TEXT UNIQUE, type TEXT NOT NULL, run_id TEXT, agent TEXT, data TEXT, created_at INTEGER NOT NULL)`,
  ],
};

export class EventsStore {
  /** Opens the log of a storage already migrated to EVENTS_SCHEMA. */
  constructor(private readonly sql: SqlStorage) {}

  /** Appends an event; an event with a `dedup` key already written is returned, not repeated. */
  append(e: { type: string; run_id: string | null; agent: string | null; data: unknown; dedup: string | null }, now: number): DomainEvent {
    if (e.dedup) {
      const seen = this.sql.exec("SELECT * FROM domain_events WHERE dedup = ?", e.dedup).toArray()[0];
      if (seen) return this.row(seen);
    }
    const id = newId("evt");
    this.sql.exec(
      "INSERT INTO domain_events (id, dedup, type, run_id, agent, data, created_at) VALUES (?,?,?,?,?,?,?)",
      id,
      e.dedup,
      e.type,
      e.run_id,
      e.agent,
      JSON.stringify(e.data ?? null),
      now,
    );
    return { id, type: e.type, run_id: e.run_id, agent: e.agent, data: e.data ?? null, created_at: new Date(now).toISOString() };
  }

  /** Events after the cursor (a seq), oldest first. */
  list(after: number, limit: number): { events: (DomainEvent & { seq: number })[]; next_after: number } {
    const rows = this.sql.exec("SELECT * FROM domain_events WHERE seq > ? ORDER BY seq LIMIT ?", after, limit).toArray();
    const events = rows.map((r) => ({ ...this.row(r), seq: r.seq as number }));
    return { events, next_after: events.length > 0 ? events[events.length - 1]!.seq : after };
  }

  get(id: string): DomainEvent | null {
    const r = this.sql.exec("SELECT * FROM domain_events WHERE id = ?", id).toArray()[0];
    return r ? this.row(r) : null;
  }

  private row(r: Record<string, SqlStorageValue>): DomainEvent {
    return {
      id: r.id as string,
      type: r.type as string,
      run_id: (r.run_id as string | null) ?? null,
      agent: (r.agent as string | null) ?? null,
      data: JSON.parse((r.data as string | null) ?? "null") as unknown,
      created_at: new Date(r.created_at as number).toISOString(),
    };
  }
}
