// A tenant's SQLite tables besides the ledger: profile, API keys, the run index (for listing and
// queue counts), idempotency keys and custom agents.

import { addToBucket, bucketOf, COUNTED_STATUSES, statsFromBuckets } from "../adapters/counters/buckets";
import { type AgentProfile, type Priority, RUN_STATUSES, type RunStatus } from "../domain/types";
import { isFinal } from "../run/state";
import { addMissingColumns, type StoreSchema } from "../storage/migrations";
import type { HoldRows, PendingHold, StoredHold } from "./ledger-store";
import type { CreatedRun, QueueStats, RunIndexEntry, RunSync } from "./protocol";
import { encodeRunsCursor, parseRunsCursor, type RunsCursor, runIdTime } from "./runs-cursor";

// Step 1's tables. Released: never edit this text; a change is a new step in TENANT_SCHEMA.
const TABLES_1 = `
CREATE TABLE IF NOT EXISTS tenant (id TEXT PRIMARY KEY, name TEXT NOT NULL, created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS api_keys (id TEXT PRIMARY KEY, hash TEXT NOT NULL UNIQUE, created_at INTEGER NOT NULL, revoked_at INTEGER);
CREATE TABLE IF NOT EXISTS runs (id TEXT PRIMARY KEY, agent TEXT NOT NULL, status TEXT NOT NULL, priority TEXT NOT NULL,
  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, finished_at INTEGER, version INTEGER NOT NULL,
  reserved INTEGER NOT NULL, spent INTEGER NOT NULL DEFAULT 0, retrying INTEGER NOT NULL DEFAULT 0, metadata TEXT,
  error TEXT, attempt INTEGER NOT NULL DEFAULT 1, webhook_url TEXT);
CREATE INDEX IF NOT EXISTS runs_status ON runs (status, id);
CREATE INDEX IF NOT EXISTS runs_agent ON runs (agent, id);
CREATE TABLE IF NOT EXISTS idempotency (key TEXT PRIMARY KEY, body_hash TEXT NOT NULL, response TEXT NOT NULL, created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS agents (name TEXT PRIMARY KEY, profile TEXT NOT NULL, updated_at INTEGER NOT NULL);
`;

// Indexes for listing runs newest first (creation time, then id), overall and by status or agent.
// Released as step 2 of TENANT_SCHEMA: never edit this text.
const RUNS_BY_CREATED_INDEXES = `
CREATE INDEX IF NOT EXISTS runs_created ON runs (created_at, id);
CREATE INDEX IF NOT EXISTS runs_status_created ON runs (status, created_at, id);
CREATE INDEX IF NOT EXISTS runs_agent_created ON runs (agent, created_at, id);
`;

// Finds expired idempotency keys without reading the live ones. Released as step 2 of
// TENANT_SCHEMA: never edit this text.
const IDEMPOTENCY_BY_CREATED_INDEX = `
CREATE INDEX IF NOT EXISTS idempotency_created ON idempotency (created_at);
`;

// Step 4's rebuilt run index. Released as step 4 of TENANT_SCHEMA: never edit this text.
const RUNS_REBUILT_4 = `
CREATE TABLE runs_rebuilt (id TEXT PRIMARY KEY, agent TEXT NOT NULL, status TEXT NOT NULL, priority TEXT NOT NULL,
  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, finished_at INTEGER, version INTEGER NOT NULL,
  reserved INTEGER NOT NULL, spent INTEGER NOT NULL DEFAULT 0, retrying INTEGER NOT NULL DEFAULT 0, metadata TEXT,
  error TEXT, attempt INTEGER NOT NULL DEFAULT 1, webhook_url TEXT, resolution TEXT) WITHOUT ROWID;
INSERT INTO runs_rebuilt (id, agent, status, priority, created_at, updated_at, finished_at, version, reserved, spent,
  retrying, metadata, error, attempt, webhook_url, resolution)
  SELECT id, agent, status, priority, created_at, updated_at, finished_at, version, reserved, spent,
  retrying, metadata, error, attempt, webhook_url, resolution FROM runs;
DROP TABLE runs;
ALTER TABLE runs_rebuilt RENAME TO runs;
CREATE INDEX runs_created ON runs (created_at, id);
CREATE INDEX runs_status_created ON runs (status, created_at, id);
CREATE INDEX runs_agent_created ON runs (agent, created_at, id);
CREATE INDEX runs_exceptions ON runs (id) WHERE status IN ('failed', 'dead');
`;

/** The tenant's tables, by schema step (src/storage/migrations.ts); released steps are never edited. */
export const TENANT_SCHEMA: StoreSchema = {
  store: "tenant",
  steps: [
    (sql) => {
      sql.exec(TABLES_1);
      // Builds before schema versions indexed runs without these; their runs had no retries
      // (attempt 1), no recorded error and no webhook.
      addMissingColumns(sql, "runs", { error: "TEXT", attempt: "INTEGER NOT NULL DEFAULT 1", webhook_url: "TEXT" });
    },
    // 2: newest-first listing by creation time, and pruning expired idempotency keys.
    RUNS_BY_CREATED_INDEXES + IDEMPOTENCY_BY_CREATED_INDEX,
    // 3: a person's resolution of a failed or dead run, for the exceptions list.
    "ALTER TABLE runs ADD COLUMN resolution TEXT",
    // 4: fewer rows per run (docs/benchmarks.md). The index is rebuilt WITHOUT ROWID, so a run's
    // row is stored in its primary key and writes no separate key entry. runs_agent (agent, id)
    // served nothing runs_agent_created does not. runs_status (status, id) served the dead and
    // exceptions lists, which read only failed and dead runs: a partial index of those, which a
    // run that never fails writes nothing to.
    RUNS_REBUILT_4,
    // 5: one index entry fewer per run. The unfiltered list reads the newest runs of each status
    // through runs_status_created and merges them (`newestOfEachStatus`), so runs_created, which
    // every new run wrote a row to, served nothing else.
    "DROP INDEX runs_created",
    // 6: a run's credit reservation in its index row (`hold`, JSON: LedgerStore's StoredHold),
    // which creation and each sync write anyway, instead of a row of its own in `reservations`
    // (two rows fewer per run: docs/credits.md). Runs indexed before keep theirs where it is.
    "ALTER TABLE runs ADD COLUMN hold TEXT",
  ],
};

const parseHold = (hold: unknown): StoredHold | null => (typeof hold === "string" ? (JSON.parse(hold) as StoredHold) : null);

/** How long an idempotency key is remembered (24 h). */
export const IDEMPOTENCY_TTL_MS = 24 * 3600 * 1000;

/** Most expired idempotency keys deleted by one prune (50): bounded work on the creation path. */
export const IDEMPOTENCY_PRUNE_BATCH = 50;

/**
 * A run's index row: what retry and redrive need, the queue bucket it counts in, and whether it
 * has a resolution (a sync's domain events depend on its status, attempt and resolution).
 */
export interface RunIndexRow {
  status: RunStatus;
  priority: Priority;
  retrying: boolean;
  reserved: number;
  spent: number;
  attempt: number;
  resolved: boolean;
  agent: string;
  created_at: number;
  /** The run's own webhook URL, if it was created with one. */
  webhook_url: string | null;
  /** The reservation kept in the row (see HoldRows); null for a run that keeps it in `reservations`. */
  hold: StoredHold | null;
}

export class TenantStore implements HoldRows {
  /** The custom agents' names, once read (undefined: not read yet). */
  private agentNames: Set<string> | undefined;

  /** Opens the tables of a storage already migrated to TENANT_SCHEMA. */
  constructor(private readonly sql: SqlStorage) {}

  tenant(): { id: string; name: string; created_at: number } | null {
    const r = this.sql.exec("SELECT * FROM tenant LIMIT 1").toArray()[0];
    return r ? { id: r.id as string, name: r.name as string, created_at: r.created_at as number } : null;
  }

  createTenant(id: string, name: string, now: number): void {
    this.sql.exec("INSERT INTO tenant (id, name, created_at) VALUES (?, ?, ?)", id, name, now);
  }

  addKey(id: string, hash: string, now: number): void {
    this.sql.exec("INSERT OR IGNORE INTO api_keys (id, hash, created_at) VALUES (?, ?, ?)", id, hash, now);
  }

  revokeKey(id: string, now: number): boolean {
    return this.sql.exec("UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", now, id).rowsWritten > 0;
  }

  keyValid(hash: string): boolean {
    return this.sql.exec("SELECT 1 FROM api_keys WHERE hash = ? AND revoked_at IS NULL", hash).toArray().length > 0;
  }

  idempotent(key: string, now: number): { body_hash: string; response: CreatedRun } | null {
    const r = this.sql.exec("SELECT body_hash, response, created_at FROM idempotency WHERE key = ?", key).toArray()[0];
    if (!r || (r.created_at as number) < now - IDEMPOTENCY_TTL_MS) return null;
    return { body_hash: r.body_hash as string, response: JSON.parse(r.response as string) as CreatedRun };
  }

  /** Remembers a key's answer for 24 h; keys past that are pruned here, a bounded batch at a time. */
  remember(key: string, bodyHash: string, response: CreatedRun, now: number): void {
    this.pruneIdempotency(now);
    this.sql.exec(
      "INSERT OR REPLACE INTO idempotency (key, body_hash, response, created_at) VALUES (?, ?, ?, ?)",
      key,
      bodyHash,
      JSON.stringify(response),
      now,
    );
  }

  forget(key: string): void {
    this.sql.exec("DELETE FROM idempotency WHERE key = ?", key);
  }

  /**
   * Deletes up to `limit` (default 50) idempotency keys older than 24 h, oldest first, through
   * the created_at index.
   */
  pruneIdempotency(now: number, limit = IDEMPOTENCY_PRUNE_BATCH): void {
    this.sql.exec(
      "DELETE FROM idempotency WHERE key IN (SELECT key FROM idempotency WHERE created_at < ? ORDER BY created_at LIMIT ?)",
      now - IDEMPOTENCY_TTL_MS,
      limit,
    );
  }

  indexRun(e: {
    id: string;
    agent: string;
    status: RunStatus;
    priority: Priority;
    created_at: number;
    reserved: number;
    metadata: Record<string, unknown> | null;
    webhook_url: string | null;
    /** The run's reservation, when the ledger left it for this row. */
    hold?: PendingHold | null;
  }): void {
    const hold = e.hold?.forRow() ?? null;
    this.sql.exec(
      `INSERT INTO runs (id, agent, status, priority, created_at, updated_at, version, reserved, metadata, webhook_url, hold)
       VALUES (?,?,?,?,?,?,1,?,?,?,?)`,
      e.id,
      e.agent,
      e.status,
      e.priority,
      e.created_at,
      e.created_at,
      e.reserved,
      e.metadata ? JSON.stringify(e.metadata) : null,
      e.webhook_url,
      hold ? JSON.stringify(hold) : null,
    );
    if (hold && e.hold) e.hold.taken = true;
  }

  /** The reservation kept in a run's index row (see HoldRows). */
  hold(id: string): StoredHold | null {
    return parseHold(this.sql.exec("SELECT hold FROM runs WHERE id = ?", id).toArray()[0]?.hold);
  }

  setHold(id: string, hold: StoredHold): boolean {
    return this.sql.exec("UPDATE runs SET hold = ? WHERE id = ?", JSON.stringify(hold), id).rowsWritten > 0;
  }

  /** The run's own webhook URL, if it was created with one. */
  runWebhook(id: string): string | null {
    const r = this.sql.exec("SELECT webhook_url FROM runs WHERE id = ?", id).toArray()[0];
    return (r?.webhook_url as string | null | undefined) ?? null;
  }

  unindexRun(id: string): void {
    this.sql.exec("DELETE FROM runs WHERE id = ?", id);
  }

  /**
   * Applies a run's pushed state if it is newer than what the index has, with the reservation the
   * ledger left for this row (`hold`; written by `LedgerStore.keep` if the state is not applied).
   */
  updateRun(r: RunSync, now: number, hold: PendingHold | null = null): boolean {
    const retrying = r.status === "queued" && r.not_before !== null;
    const held = hold?.forRow() ?? null;
    const applied =
      this.sql.exec(
        `UPDATE runs SET status = ?, spent = ?, finished_at = ?, retrying = ?, version = ?, updated_at = ?, error = ?, attempt = ?,
         resolution = ?, hold = COALESCE(?, hold) WHERE id = ? AND version < ?`,
        r.status,
        r.spent,
        r.finished_at,
        retrying ? 1 : 0,
        r.version,
        now,
        r.error ? JSON.stringify(r.error) : null,
        r.attempt,
        r.resolution ? JSON.stringify(r.resolution) : null,
        held ? JSON.stringify(held) : null,
        r.id,
        r.version,
      ).rowsWritten > 0;
    if (applied && held && hold) hold.taken = true;
    return applied;
  }

  /** A run's index row (`RunIndexRow`), or null when the index does not have the run. */
  runRow(id: string): RunIndexRow | null {
    const r = this.sql
      .exec(
        `SELECT status, priority, retrying, reserved, spent, attempt, resolution IS NOT NULL AS resolved, agent, created_at,
         webhook_url, hold FROM runs WHERE id = ?`,
        id,
      )
      .toArray()[0];
    return r
      ? {
          status: r.status as RunStatus,
          priority: r.priority as Priority,
          retrying: r.retrying === 1,
          reserved: r.reserved as number,
          spent: r.spent as number,
          attempt: r.attempt as number,
          resolved: r.resolved === 1,
          agent: r.agent as string,
          created_at: r.created_at as number,
          webhook_url: (r.webhook_url as string | null) ?? null,
          hold: parseHold(r.hold),
        }
      : null;
  }

  /** Dead runs newest first with their last error (GET /v1/dlq). */
  deadRuns(
    limit: number,
    cursor: string | null,
  ): {
    runs: { id: string; agent: string; priority: Priority; error: unknown; finished_at: string | null; attempts: number }[];
    next_cursor: string | null;
  } {
    const rows = this.sql
      .exec(
        // The condition of the runs_exceptions index, as written there, so SQLite uses it.
        "SELECT * FROM runs INDEXED BY runs_exceptions WHERE status IN ('failed', 'dead') AND status = 'dead' AND id < ? ORDER BY id DESC LIMIT ?",
        cursor ?? "~",
        limit + 1,
      )
      .toArray();
    const runs = rows.slice(0, limit).map((r) => ({
      id: r.id as string,
      agent: r.agent as string,
      priority: r.priority as Priority,
      error: r.error ? (JSON.parse(r.error as string) as unknown) : null,
      finished_at: typeof r.finished_at === "number" ? new Date(r.finished_at).toISOString() : null,
      attempts: r.attempt as number,
    }));
    return { runs, next_cursor: rows.length > limit ? runs[runs.length - 1]!.id : null };
  }

  runPriority(id: string): Priority | null {
    const r = this.sql.exec("SELECT priority FROM runs WHERE id = ?", id).toArray()[0];
    return r ? (r.priority as Priority) : null;
  }

  /**
   * Runs newest first: by creation time, runs created in the same millisecond by id, both
   * descending. The cursor (see runs-cursor.ts) is the position of the previous page's last run,
   * so pages neither repeat nor skip runs however many are created meanwhile. A cursor that is
   * not one is treated as the start.
   */
  listRuns(f: { status: string | null; agent: string | null; limit: number; cursor: string | null }): {
    runs: RunIndexEntry[];
    next_cursor: string | null;
  } {
    const after = f.cursor === null ? null : this.cursorPosition(f.cursor);
    const rows =
      f.status === null && f.agent === null
        ? this.newestOfEachStatus(after, f.limit + 1)
        : this.newest({ status: f.status, agent: f.agent }, after, f.limit + 1);
    const iso = (v: SqlStorageValue | undefined) => (typeof v === "number" ? new Date(v).toISOString() : null);
    const runs = rows.slice(0, f.limit).map((r) => {
      const final = isFinal(r.status as RunStatus);
      return {
        id: r.id as string,
        agent: r.agent as string,
        status: r.status as RunStatus,
        priority: r.priority as Priority,
        created_at: iso(r.created_at)!,
        updated_at: iso(r.updated_at)!,
        finished_at: iso(r.finished_at),
        credits: { reserved: final ? 0 : (r.reserved as number) - (r.spent as number), spent: r.spent as number },
        metadata: r.metadata ? (JSON.parse(r.metadata as string) as Record<string, unknown>) : {},
      };
    });
    const last = rows[f.limit - 1];
    const next = rows.length > f.limit && last ? encodeRunsCursor({ createdAt: last.created_at as number, id: last.id as string }) : null;
    return { runs, next_cursor: next };
  }

  /** The `limit` newest runs before `after` with the given status and agent (either may be null). */
  private newest(
    f: { status: string | null; agent: string | null },
    after: RunsCursor | null,
    limit: number,
  ): Record<string, SqlStorageValue>[] {
    const where: string[] = [];
    const args: SqlStorageValue[] = [];
    if (after) {
      where.push("(created_at, id) < (?, ?)");
      args.push(after.createdAt, after.id);
    }
    if (f.status) {
      where.push("status = ?");
      args.push(f.status);
    }
    if (f.agent) {
      where.push("agent = ?");
      args.push(f.agent);
    }
    const filter = where.length > 0 ? `WHERE ${where.join(" AND ")}` : "";
    return this.sql.exec(`SELECT * FROM runs ${filter} ORDER BY created_at DESC, id DESC LIMIT ?`, ...args, limit).toArray();
  }

  /**
   * The `limit` newest runs before `after`, whatever their status: the newest `limit` of each
   * status (each read in order through runs_status_created), merged. At most `limit` rows per
   * status are read, so a page costs a few index reads instead of an index entry per run written.
   */
  private newestOfEachStatus(after: RunsCursor | null, limit: number): Record<string, SqlStorageValue>[] {
    const rows = RUN_STATUSES.flatMap((status) => this.newest({ status, agent: null }, after, limit));
    // The listing order: created_at, then id, both descending.
    rows.sort((a, b) => (b.created_at as number) - (a.created_at as number) || (a.id! < b.id! ? 1 : a.id! > b.id! ? -1 : 0));
    return rows.slice(0, limit);
  }

  /** Where a cursor points; a bare run id of earlier versions is placed at that run (or its id's time). */
  private cursorPosition(cursor: string): RunsCursor | null {
    const c = parseRunsCursor(cursor);
    if (!c || !("legacyId" in c)) return c;
    const r = this.sql.exec("SELECT created_at FROM runs WHERE id = ?", c.legacyId).toArray()[0];
    return { createdAt: r ? (r.created_at as number) : runIdTime(c.legacyId), id: c.legacyId };
  }

  /** Queue counts of the index, grouped by the same buckets as the external counters. */
  queueStats(): QueueStats {
    const rows = this.sql
      .exec(
        `SELECT priority, status, retrying, count(*) AS n FROM runs WHERE status IN (${COUNTED_STATUSES.map(() => "?").join(",")})
         GROUP BY priority, status, retrying`,
        ...COUNTED_STATUSES,
      )
      .toArray();
    const buckets: Record<string, number> = {};
    for (const r of rows) addToBucket(buckets, bucketOf(r.status as RunStatus, r.priority as Priority, r.retrying === 1), r.n as number);
    return statsFromBuckets(buckets);
  }

  /**
   * A custom agent by name. The names of the tenant's custom agents are kept in memory once read
   * (`forgetCached` on a rolled-back transaction), so a name that is not one of them (a built-in, for
   * most tenants every run's) costs no read.
   */
  customAgent(name: string): AgentProfile | null {
    this.agentNames ??= new Set(
      this.sql
        .exec("SELECT name FROM agents")
        .toArray()
        .map((r) => r.name as string),
    );
    if (!this.agentNames.has(name)) return null;
    const r = this.sql.exec("SELECT profile FROM agents WHERE name = ?", name).toArray()[0];
    return r ? (JSON.parse(r.profile as string) as AgentProfile) : null;
  }

  /** Forgets the custom agents' names kept in memory (a transaction that changed them rolled back). */
  forgetCached(): void {
    this.agentNames = undefined;
  }

  customAgents(): AgentProfile[] {
    return this.sql
      .exec("SELECT profile FROM agents ORDER BY name")
      .toArray()
      .map((r) => JSON.parse(r.profile as string) as AgentProfile);
  }

  putAgent(agent: AgentProfile, now: number): void {
    this.sql.exec("INSERT OR REPLACE INTO agents (name, profile, updated_at) VALUES (?, ?, ?)", agent.name, JSON.stringify(agent), now);
    this.agentNames?.add(agent.name);
  }

  deleteAgent(name: string): boolean {
    const deleted = this.sql.exec("DELETE FROM agents WHERE name = ?", name).rowsWritten > 0;
    this.agentNames?.delete(name);
    return deleted;
  }
}
