// The tenant's domain event log (GET /v1/events): run lifecycle events that concern the tenant's
// systems and every `emit_event`, each written once with its topic, listed by a cursor.

import { newId } from "../domain/ids";
import { type Topic, topicOf } from "../domain/topics";
import { addMissingColumns, type StoreSchema } from "../storage/migrations";

export interface DomainEvent {
  id: string;
  type: string;
  topic: Topic;
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
    // Each event's topic, derived from its type for the rows written before topics existed.
    (sql) => {
      addMissingColumns(sql, "domain_events", { topic: "TEXT NOT NULL DEFAULT 'domain.other'" });
      const types = sql.exec("SELECT DISTINCT type FROM domain_events").toArray();
      for (const r of types) sql.exec("UPDATE domain_events SET topic = ? WHERE type = ?", topicOf(r.type as string), r.type);
      sql.exec("CREATE INDEX IF NOT EXISTS domain_events_topic ON domain_events (topic, seq)");
    },
    // 3: without AUTOINCREMENT. Events are never deleted, so a new seq (the largest plus one) is
    // what AUTOINCREMENT gave, without its sqlite_sequence write on every event.
    `CREATE TABLE domain_events_rebuilt (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, dedup TEXT UNIQUE,
      type TEXT NOT NULL, run_id TEXT, agent TEXT, data TEXT, created_at INTEGER NOT NULL,
      topic TEXT NOT NULL DEFAULT 'domain.other');
    INSERT INTO domain_events_rebuilt (seq, id, dedup, type, run_id, agent, data, created_at, topic)
      SELECT seq, id, dedup, type, run_id, agent, data, created_at, topic FROM domain_events ORDER BY seq;
    DROP TABLE domain_events;
    ALTER TABLE domain_events_rebuilt RENAME TO domain_events;
    CREATE INDEX domain_events_topic ON domain_events (topic, seq);`,
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
    const topic = topicOf(e.type);
    this.sql.exec(
      "INSERT INTO domain_events (id, dedup, type, topic, run_id, agent, data, created_at) VALUES (?,?,?,?,?,?,?,?)",
      id,
      e.dedup,
      e.type,
      topic,
      e.run_id,
      e.agent,
      JSON.stringify(e.data ?? null),
      now,
    );
    return { id, type: e.type, topic, run_id: e.run_id, agent: e.agent, data: e.data ?? null, created_at: new Date(now).toISOString() };
  }

  /** Events after the cursor (a seq), oldest first; with `topics`, only events of those topics. */
  list(
    after: number,
    limit: number,
    topics: readonly Topic[] | null = null,
  ): { events: (DomainEvent & { seq: number })[]; next_after: number } {
    const rows =
      topics && topics.length > 0
        ? this.sql
            .exec(
              `SELECT * FROM domain_events WHERE seq > ? AND topic IN (${topics.map(() => "?").join(",")}) ORDER BY seq LIMIT ?`,
              after,
              ...topics,
              limit,
            )
            .toArray()
        : this.sql.exec("SELECT * FROM domain_events WHERE seq > ? ORDER BY seq LIMIT ?", after, limit).toArray();
    const events = rows.map((r) => ({ ...this.row(r), seq: r.seq as number }));
    return { events, next_after: events.length > 0 ? events[events.length - 1]!.seq : after };
  }

  /** The seq of the last event written (0 before any). */
  lastSeq(): number {
    return (this.sql.exec("SELECT COALESCE(MAX(seq), 0) AS m FROM domain_events").one().m as number) ?? 0;
  }

  get(id: string): DomainEvent | null {
    const r = this.sql.exec("SELECT * FROM domain_events WHERE id = ?", id).toArray()[0];
    return r ? this.row(r) : null;
  }

  private row(r: Record<string, SqlStorageValue>): DomainEvent {
    return {
      id: r.id as string,
      type: r.type as string,
      topic: r.topic as Topic,
      run_id: (r.run_id as string | null) ?? null,
      agent: (r.agent as string | null) ?? null,
      data: JSON.parse((r.data as string | null) ?? "null") as unknown,
      created_at: new Date(r.created_at as number).toISOString(),
    };
  }
}
