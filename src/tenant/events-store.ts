// The tenant's domain event log (GET /v1/events): run lifecycle events that concern the tenant's
// systems and every `emit_event`, each written once with its topic, listed by a cursor.

import { newId } from "../domain/ids";
import { TOPICS, type Topic, topicOf } from "../domain/topics";
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
    // 4: one unique index fewer per event (docs/benchmarks.md). An event written once by a dedup
    // key takes its id from the key (`dedupId`), so the id's unique index is its dedup too; the
    // dedup column stays only for the rows written before, in a partial index new rows add nothing
    // to. Rebuilt because the inline UNIQUE cannot be dropped; every row and seq is kept.
    `CREATE TABLE domain_events_rebuilt (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, dedup TEXT,
      type TEXT NOT NULL, run_id TEXT, agent TEXT, data TEXT, created_at INTEGER NOT NULL,
      topic TEXT NOT NULL DEFAULT 'domain.other');
    INSERT INTO domain_events_rebuilt (seq, id, dedup, type, run_id, agent, data, created_at, topic)
      SELECT seq, id, dedup, type, run_id, agent, data, created_at, topic FROM domain_events ORDER BY seq;
    DROP TABLE domain_events;
    ALTER TABLE domain_events_rebuilt RENAME TO domain_events;
    CREATE INDEX domain_events_topic ON domain_events (topic, seq);
    CREATE UNIQUE INDEX domain_events_dedup ON domain_events (dedup) WHERE dedup IS NOT NULL;`,
    // 5: one row fewer per event (docs/benchmarks.md). The log is rebuilt WITHOUT ROWID, keyed by
    // the event's id: an event is stored in its id's entry, so its id index goes, and the topic
    // index (topic, seq) is the only other entry it writes. There is no index by seq alone: the
    // log is read topic by topic and merged (`EventsStore.list`, `lastSeq`), so every stored topic
    // must be one of TOPICS; any that is not (none is: each was derived by `topicOf`) is derived
    // again here. A build that renames a topic must do the same in a step of its own.
    (sql) => {
      sql.exec(`CREATE TABLE domain_events_rebuilt (id TEXT PRIMARY KEY, seq INTEGER NOT NULL, dedup TEXT,
        type TEXT NOT NULL, run_id TEXT, agent TEXT, data TEXT, created_at INTEGER NOT NULL,
        topic TEXT NOT NULL DEFAULT 'domain.other') WITHOUT ROWID;
      INSERT INTO domain_events_rebuilt (id, seq, dedup, type, run_id, agent, data, created_at, topic)
        SELECT id, seq, dedup, type, run_id, agent, data, created_at, topic FROM domain_events ORDER BY seq;
      DROP TABLE domain_events;
      ALTER TABLE domain_events_rebuilt RENAME TO domain_events;
      CREATE INDEX domain_events_topic ON domain_events (topic, seq);
      CREATE UNIQUE INDEX domain_events_dedup ON domain_events (dedup) WHERE dedup IS NOT NULL;`);
      const known = TOPICS.map(() => "?").join(",");
      const stray = sql.exec(`SELECT DISTINCT type FROM domain_events WHERE topic NOT IN (${known})`, ...TOPICS).toArray();
      for (const r of stray) sql.exec("UPDATE domain_events SET topic = ? WHERE type = ?", topicOf(r.type as string), r.type);
    },
    // 6: one row per event (docs/benchmarks.md). The log is keyed by (topic, seq), the order every
    // read takes, so an event writes its row and nothing else. Only the events that must be found
    // by id (`keyed`: a dedup key looked up, or a webhook delivery to make) add an entry to the
    // partial id index; every event written before this step is keyed, so its id and dedup key
    // are found as before.
    `CREATE TABLE domain_events_rebuilt (topic TEXT NOT NULL, seq INTEGER NOT NULL, id TEXT NOT NULL,
      keyed INTEGER NOT NULL DEFAULT 1, dedup TEXT, type TEXT NOT NULL, run_id TEXT, agent TEXT, data TEXT,
      created_at INTEGER NOT NULL, PRIMARY KEY (topic, seq)) WITHOUT ROWID;
    INSERT INTO domain_events_rebuilt (topic, seq, id, keyed, dedup, type, run_id, agent, data, created_at)
      SELECT topic, seq, id, 1, dedup, type, run_id, agent, data, created_at FROM domain_events;
    DROP TABLE domain_events;
    ALTER TABLE domain_events_rebuilt RENAME TO domain_events;
    CREATE UNIQUE INDEX domain_events_id ON domain_events (id) WHERE keyed = 1;
    CREATE UNIQUE INDEX domain_events_dedup ON domain_events (dedup) WHERE dedup IS NOT NULL;`,
  ],
};

/** How an event is written: see `EventsStore.append`. */
export interface AppendOptions {
  /** The caller knows no event of this dedup key was written (the run index says so): no lookup. */
  fresh?: boolean;
  /** The event must be found by id later (a webhook delivery reads it by id). */
  findable?: boolean;
}

/**
 * The largest of each topic's last seq, each read at the end of its index. SQLite's max() of
 * several values is null when one is, so a topic without events counts 0.
 */
const LAST_SEQ = `SELECT MAX(${TOPICS.map(() => "COALESCE((SELECT MAX(seq) FROM domain_events WHERE topic = ?), 0)").join(", ")}) AS m`;

/** Dedup keys are the runtime's own: ids, numbers and words joined by `:`. */
const DEDUP_KEY = /^[A-Za-z0-9_]+(:[A-Za-z0-9_]+)*$/;

/**
 * The id of an event written once by `dedup`: the key itself, `:` read as `.`, so the same key
 * always names the same event (and a webhook receiver sees the same `webhook-id` for it).
 */
export function dedupId(dedup: string): string {
  if (!DEDUP_KEY.test(dedup)) throw new Error(`dedup key must be words joined by ':', got ${JSON.stringify(dedup)}`);
  return `evt_${dedup.replaceAll(":", ".")}`;
}

/**
 * A tenant's event log. The last seq is kept in memory once read or written: the owner calls
 * `forgetCached` when a transaction rolls back (storage/transactions.ts), and nothing else appends.
 */
export class EventsStore {
  /** The seq of the last event, as read or written by this instance; undefined: not known. */
  private last: number | undefined;

  /** Opens the log of a storage already migrated to EVENTS_SCHEMA. */
  constructor(private readonly sql: SqlStorage) {}

  /**
   * Appends an event, numbered after the last; an event with a `dedup` key already written is
   * returned, not repeated: by its id (`dedupId`), or, written before ids came from keys, by its
   * dedup column. Such an event is kept findable by its id for the next lookup, unless the caller
   * knows it is `fresh` (and then no later write of it looks it up); one that is neither looked
   * up nor `findable` is one row in the log and nothing else.
   */
  append(
    e: { type: string; run_id: string | null; agent: string | null; data: unknown; dedup: string | null },
    now: number,
    opts: AppendOptions = {},
  ): DomainEvent {
    const id = e.dedup ? dedupId(e.dedup) : newId("evt");
    // A findable event is looked up even when fresh: the read costs no row, and a key that was
    // written findable before is returned rather than refused by the id index.
    const lookup = e.dedup !== null && (!opts.fresh || opts.findable === true);
    if (lookup) {
      const seen =
        this.sql.exec("SELECT * FROM domain_events WHERE id = ? AND keyed = 1", id).toArray()[0] ??
        this.sql.exec("SELECT * FROM domain_events WHERE dedup = ?", e.dedup).toArray()[0];
      if (seen) return this.row(seen);
    }
    const topic = topicOf(e.type);
    const seq = this.lastSeq() + 1;
    this.sql.exec(
      "INSERT INTO domain_events (id, keyed, seq, type, topic, run_id, agent, data, created_at) VALUES (?,?,?,?,?,?,?,?,?)",
      id,
      lookup || opts.findable ? 1 : 0,
      seq,
      e.type,
      topic,
      e.run_id,
      e.agent,
      JSON.stringify(e.data ?? null),
      now,
    );
    this.last = seq;
    return { id, type: e.type, topic, run_id: e.run_id, agent: e.agent, data: e.data ?? null, created_at: new Date(now).toISOString() };
  }

  /**
   * Events after the cursor (a seq), oldest first; with `topics`, only events of those topics.
   * Each topic's events are read through its index (at most `limit` of each) and merged.
   */
  list(
    after: number,
    limit: number,
    topics: readonly Topic[] | null = null,
  ): { events: (DomainEvent & { seq: number })[]; next_after: number } {
    const wanted = topics && topics.length > 0 ? new Set(topics) : TOPICS;
    const rows: Record<string, SqlStorageValue>[] = [];
    for (const topic of wanted)
      rows.push(...this.sql.exec("SELECT * FROM domain_events WHERE topic = ? AND seq > ? ORDER BY seq LIMIT ?", topic, after, limit));
    rows.sort((a, b) => (a.seq as number) - (b.seq as number));
    const events = rows.slice(0, limit).map((r) => ({ ...this.row(r), seq: r.seq as number }));
    return { events, next_after: events.length > 0 ? events[events.length - 1]!.seq : after };
  }

  /** The seq of the last event written (0 before any): the largest of each topic's last. */
  lastSeq(): number {
    this.last ??= this.sql.exec(LAST_SEQ, ...TOPICS).one().m as number;
    return this.last;
  }

  /** Forgets the last seq kept in memory (a transaction that appended rolled back). */
  forgetCached(): void {
    this.last = undefined;
  }

  /** An event written findable (or looked up by its dedup key), by id. */
  get(id: string): DomainEvent | null {
    const r = this.sql.exec("SELECT * FROM domain_events WHERE id = ? AND keyed = 1", id).toArray()[0];
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
