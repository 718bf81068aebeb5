// The run's SQLite journal: schema and queries for the run row, its steps, its event log (a page
// per transition), pending credit charges and stream tickets. Pure storage: no decisions here.

import { addCosts, type RunCost, ZERO_COST } from "../domain/costs";
import type { AgentProfile, NewEvent, PlanStep, Priority, RunEvent, RunStatus, Usage } from "../domain/types";
import { ZERO_USAGE } from "../domain/types";
import { addMissingColumns, type StoreSchema } from "../storage/migrations";

// Step 1's tables. Released: never edit this text; a change is a new step in JOURNAL_SCHEMA.
const TABLES_1 = `
CREATE TABLE IF NOT EXISTS run (
  id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, agent TEXT NOT NULL, status TEXT NOT NULL,
  priority TEXT NOT NULL, input TEXT NOT NULL, output TEXT, error TEXT, plan TEXT,
  plan_attempts INTEGER NOT NULL DEFAULT 0, usage TEXT NOT NULL, max_credits INTEGER NOT NULL,
  spent INTEGER NOT NULL DEFAULT 0, fee_charged INTEGER NOT NULL DEFAULT 0, metadata TEXT,
  webhook_url TEXT, run_at INTEGER, created_at INTEGER NOT NULL, started_at INTEGER,
  finished_at INTEGER, expires_at INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 1,
  gen INTEGER NOT NULL DEFAULT 1, lease_token TEXT, lease_until INTEGER, lease_worker TEXT,
  not_before INTEGER, wake_at INTEGER, version INTEGER NOT NULL DEFAULT 1,
  synced_version INTEGER NOT NULL DEFAULT 0, next_seq INTEGER NOT NULL DEFAULT 1,
  charges_synced INTEGER NOT NULL DEFAULT 0, retries INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS steps (
  idx INTEGER PRIMARY KEY, title TEXT NOT NULL, instructions TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'pending', attempts INTEGER NOT NULL DEFAULT 0,
  failed_calls INTEGER NOT NULL DEFAULT 0, summary TEXT, output TEXT, usage TEXT NOT NULL,
  transcript TEXT, run_attempt INTEGER, started_at INTEGER, finished_at INTEGER
);
CREATE TABLE IF NOT EXISTS events (
  seq INTEGER PRIMARY KEY, ts INTEGER NOT NULL, type TEXT NOT NULL, level TEXT NOT NULL,
  message TEXT NOT NULL, data TEXT
);
CREATE TABLE IF NOT EXISTS charges (
  key TEXT NOT NULL, amount INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS tickets (ticket TEXT PRIMARY KEY, expires_at INTEGER NOT NULL);
`;

/**
 * What builds before schema versions left behind, brought to step 1's tables with every row kept:
 * run rows without `charges_synced` and `retries`, and `charges` keyed by `key` (the first build
 * also flagged synced charges with `settled`). Released with step 1: never edit.
 */
function fromUnversionedBuilds(sql: SqlStorage): void {
  const added = addMissingColumns(sql, "run", {
    charges_synced: "INTEGER NOT NULL DEFAULT 0",
    retries: "INTEGER NOT NULL DEFAULT 0",
  });
  // Those builds counted a run's retries from its log when it finished: the same count.
  if (added.includes("retries")) sql.exec("UPDATE run SET retries = (SELECT count(*) FROM events WHERE type = 'retry.scheduled')");
  const columns = sql.exec("SELECT name, pk FROM pragma_table_info('charges')").toArray();
  const flagged = columns.some((c) => c.name === "settled");
  // charges_synced is the last rowid synced: every charge before the first unsettled one. A charge
  // counted as synced too early would be lost; one synced again is ignored by the ledger (keyed).
  if (flagged) {
    sql.exec(`UPDATE run SET charges_synced = coalesce((SELECT min(rowid) - 1 FROM charges WHERE settled = 0),
      (SELECT max(rowid) FROM charges), 0)`);
  }
  if (flagged || columns.some((c) => (c.pk as number) > 0)) {
    // Rebuilt without the key index and the flag; rowids are kept, since charges_synced counts them.
    sql.exec(`CREATE TABLE charges_rebuilt (key TEXT NOT NULL, amount INTEGER NOT NULL);
      INSERT INTO charges_rebuilt (rowid, key, amount) SELECT rowid, key, amount FROM charges;
      DROP TABLE charges;
      ALTER TABLE charges_rebuilt RENAME TO charges`);
  }
}

/** The journal's schema steps, applied by the run object at start (src/storage/migrations.ts). */
export const JOURNAL_SCHEMA: StoreSchema = {
  store: "journal",
  steps: [
    (sql) => {
      sql.exec(TABLES_1);
      fromUnversionedBuilds(sql);
    },
    // 2: a person's resolution of a failed or dead run (POST /v1/runs/:id/resolve).
    "ALTER TABLE run ADD COLUMN resolution TEXT",
    // 3: what the run has cost so far (JSON RunCost), written with the run row's updates.
    "ALTER TABLE run ADD COLUMN cost TEXT",
    // 4: the events a transition appends, stored together as one page (a JSON array), one row
    // per transition instead of one per event. Events written before stay in `events`.
    "CREATE TABLE IF NOT EXISTS event_pages (first_seq INTEGER PRIMARY KEY, last_seq INTEGER NOT NULL, body TEXT NOT NULL)",
  ],
};

/** How a person closed a failed or dead run: resolved (with the output they supplied) or dismissed. */
export interface Resolution {
  action: "resolved" | "dismissed";
  output: unknown;
  comment: string | null;
  actor: { type: string; id: string };
  at: string;
}

/** The run row as stored, JSON columns decoded. */
export interface RunRow {
  id: string;
  tenant_id: string;
  agent: AgentProfile;
  status: RunStatus;
  priority: Priority;
  input: unknown;
  output: unknown;
  error: { code: string; message: string; retryable: boolean } | null;
  plan: PlanStep[] | null;
  plan_attempts: number;
  usage: Usage;
  max_credits: number;
  spent: number;
  fee_charged: number;
  metadata: Record<string, unknown> | null;
  webhook_url: string | null;
  run_at: number | null;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  expires_at: number;
  attempts: number;
  gen: number;
  lease_token: string | null;
  lease_until: number | null;
  lease_worker: string | null;
  not_before: number | null;
  wake_at: number | null;
  version: number;
  synced_version: number;
  next_seq: number;
  charges_synced: number;
  /** Retries scheduled over the run's life. */
  retries: number;
  /** Set by a person on a failed or dead run; cleared when the run is retried. */
  resolution: Resolution | null;
  /** Platform operations recorded so far (null before the first update); see `Journal.cost()`. */
  cost: RunCost | null;
}

export interface StepRow {
  idx: number;
  title: string;
  instructions: string;
  status: "pending" | "running" | "completed" | "failed";
  attempts: number;
  failed_calls: number;
  summary: string | null;
  output: unknown;
  usage: Usage;
  transcript: unknown;
  run_attempt: number | null;
  started_at: number | null;
  finished_at: number | null;
}

const JSON_RUN_COLUMNS = ["agent", "input", "output", "error", "plan", "usage", "metadata", "resolution", "cost"] as const;
const JSON_STEP_COLUMNS = ["output", "usage", "transcript"] as const;

function decode<T>(row: Record<string, SqlStorageValue>, columns: readonly string[]): T {
  const out: Record<string, unknown> = { ...row };
  for (const c of columns) {
    const v = row[c];
    out[c] = typeof v === "string" ? JSON.parse(v) : null;
  }
  return out as T;
}

const enc = (v: unknown): string | null => (v === undefined || v === null ? null : JSON.stringify(v));

export class Journal {
  private cached: RunRow | null | undefined;

  /** Opens the journal of a storage already migrated to JOURNAL_SCHEMA. */
  constructor(private readonly sql: SqlStorage) {}

  /**
   * Operations not yet recorded in the run row: they are added to its `cost` column whenever the
   * row is written anyway, so counting costs no write of its own.
   */
  private unrecorded: RunCost = { ...ZERO_COST };

  /** Counts operations of the run (requests, queue messages, the tenant's share). */
  addCost(c: Partial<RunCost>): void {
    this.unrecorded = addCosts(this.unrecorded, c);
  }

  /** Rows the run object has written for the run (from its cost record). */
  get rowsWritten(): number {
    return this.cost().run_rows;
  }

  /** Everything the run has cost so far: what the run row records and what it does not yet. */
  cost(): RunCost {
    return addCosts(this.run()?.cost, this.unrecorded);
  }

  private exec(query: string, ...params: SqlStorageValue[]): SqlStorageCursor<Record<string, SqlStorageValue>> {
    const cursor = this.sql.exec(query, ...params);
    return cursor;
  }

  private write(query: string, ...params: SqlStorageValue[]): void {
    const cursor = this.sql.exec(query, ...params);
    cursor.toArray();
    this.unrecorded.run_rows += cursor.rowsWritten;
  }

  /** The run row, or null before `insertRun`. Cached in memory; every update goes through here. */
  run(): RunRow | null {
    if (this.cached === undefined) {
      const row = this.exec("SELECT * FROM run LIMIT 1").toArray()[0];
      this.cached = row ? decode<RunRow>(row, JSON_RUN_COLUMNS) : null;
    }
    return this.cached;
  }

  insertRun(
    r: Omit<
      RunRow,
      | "output"
      | "error"
      | "plan"
      | "plan_attempts"
      | "usage"
      | "spent"
      | "fee_charged"
      | "started_at"
      | "finished_at"
      | "attempts"
      | "gen"
      | "lease_token"
      | "lease_until"
      | "lease_worker"
      | "not_before"
      | "wake_at"
      | "version"
      | "synced_version"
      | "next_seq"
      | "charges_synced"
      | "retries"
      | "resolution"
      | "cost"
    >,
  ): void {
    this.write(
      `INSERT INTO run (id, tenant_id, agent, status, priority, input, usage, max_credits, metadata,
        webhook_url, run_at, created_at, expires_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)`,
      r.id,
      r.tenant_id,
      JSON.stringify(r.agent),
      r.status,
      r.priority,
      JSON.stringify(r.input),
      JSON.stringify(ZERO_USAGE),
      r.max_credits,
      enc(r.metadata),
      r.webhook_url,
      r.run_at,
      r.created_at,
      r.expires_at,
    );
    this.cached = undefined;
  }

  /**
   * Changes columns of the run row in memory; `flush()` writes them in one UPDATE, so a whole
   * transition costs one run-row write however many columns it touches. Callers flush at the
   * end of each transaction (RunObject.tx).
   */
  updateRun(patch: Partial<RunRow>): void {
    const current = this.run();
    if (!current) throw new Error("run not initialised");
    this.cached = { ...current, ...patch };
    this.pending = { ...this.pending, ...patch };
  }
  private pending: Partial<RunRow> = {};

  /**
   * Writes the changes made since the last flush: one UPDATE per changed step and one for the run,
   * which also records the operations counted so far, its own row included.
   */
  flush(): void {
    this.flushSteps();
    if (Object.keys(this.pending).length === 0) return;
    const cost = addCosts(this.run()?.cost, this.unrecorded, { run_rows: 1 });
    const patch: Partial<RunRow> = { ...this.pending, cost };
    this.pending = {};
    this.cached = { ...this.run()!, cost };
    const keys = Object.keys(patch) as (keyof RunRow)[];
    const values = keys.map((k) => {
      const v = patch[k];
      return (JSON_RUN_COLUMNS as readonly string[]).includes(k) ? enc(v) : (v as SqlStorageValue);
    });
    const cursor = this.sql.exec(`UPDATE run SET ${keys.map((k) => `${k} = ?`).join(", ")}`, ...values);
    cursor.toArray();
    // The row itself was counted above as one.
    this.unrecorded = { ...ZERO_COST, run_rows: cursor.rowsWritten - 1 };
  }

  /** Forgets unflushed changes (a transaction that threw rolled them back). */
  discard(): void {
    this.pendingSteps.clear();
    this.unrecorded = { ...ZERO_COST };
    if (Object.keys(this.pending).length > 0) {
      this.pending = {};
      this.cached = undefined;
    }
  }

  /** Inserts plan steps numbered from `after + 1` (after the steps a replan keeps). */
  insertSteps(plan: PlanStep[], after = 0): void {
    plan.forEach((s, i) => {
      this.write(
        "INSERT OR IGNORE INTO steps (idx, title, instructions, usage) VALUES (?,?,?,?)",
        after + i + 1,
        s.title,
        s.instructions,
        JSON.stringify(ZERO_USAGE),
      );
    });
  }

  /** Deletes the steps from `idx` on (a corrected retry plans them again), with their unflushed changes. */
  deleteStepsFrom(idx: number): void {
    for (const k of [...this.pendingSteps.keys()]) if (k >= idx) this.pendingSteps.delete(k);
    this.write("DELETE FROM steps WHERE idx >= ?", idx);
  }

  /** Steps in order, with changes not yet flushed applied. */
  steps(): StepRow[] {
    return this.exec("SELECT * FROM steps ORDER BY idx")
      .toArray()
      .map((r) => this.overlay(decode<StepRow>(r, JSON_STEP_COLUMNS)));
  }

  step(idx: number): StepRow | null {
    const row = this.exec("SELECT * FROM steps WHERE idx = ?", idx).toArray()[0];
    return row ? this.overlay(decode<StepRow>(row, JSON_STEP_COLUMNS)) : null;
  }

  private overlay(step: StepRow): StepRow {
    const patch = this.pendingSteps.get(step.idx);
    return patch ? { ...step, ...patch } : step;
  }

  /** Changes a step in memory; `flush()` writes each changed step once per transaction. */
  updateStep(idx: number, patch: Partial<StepRow>): void {
    this.pendingSteps.set(idx, { ...this.pendingSteps.get(idx), ...patch });
  }
  private readonly pendingSteps = new Map<number, Partial<StepRow>>();

  private flushSteps(): void {
    for (const [idx, patch] of this.pendingSteps) {
      const keys = Object.keys(patch) as (keyof StepRow)[];
      if (keys.length === 0) continue;
      const values = keys.map((k) => {
        const v = patch[k];
        return (JSON_STEP_COLUMNS as readonly string[]).includes(k) ? enc(v) : (v as SqlStorageValue);
      });
      this.write(`UPDATE steps SET ${keys.map((k) => `${k} = ?`).join(", ")} WHERE idx = ?`, ...values, idx);
    }
    this.pendingSteps.clear();
  }

  /**
   * Appends events with consecutive seqs, as one page row; returns them as stored. Call inside a
   * transaction. A transition's events commit together, so a page is never partly written.
   */
  append(events: NewEvent[], now: number): RunEvent[] {
    const run = this.run();
    if (!run || events.length === 0) return [];
    const ts = new Date(now).toISOString();
    const out: RunEvent[] = events.map((e, i) => ({
      seq: run.next_seq + i,
      ts,
      type: e.type,
      level: e.level,
      message: e.message,
      ...(e.data === undefined ? {} : { data: e.data }),
    }));
    const last = out[out.length - 1]!.seq;
    this.write("INSERT INTO event_pages (first_seq, last_seq, body) VALUES (?, ?, ?)", run.next_seq, last, JSON.stringify(out));
    this.updateRun({ next_seq: last + 1 });
    return out;
  }

  /** Events with seq > after, at most `limit`, in order: those stored one per row first, then pages. */
  events(after: number, limit: number): RunEvent[] {
    const out: RunEvent[] = this.exec("SELECT * FROM events WHERE seq > ? ORDER BY seq LIMIT ?", after, limit)
      .toArray()
      .map((r) => ({
        seq: r.seq as number,
        ts: new Date(r.ts as number).toISOString(),
        type: r.type as RunEvent["type"],
        level: r.level as RunEvent["level"],
        message: r.message as string,
        ...(typeof r.data === "string" ? { data: JSON.parse(r.data) as unknown } : {}),
      }));
    if (out.length >= limit) return out;
    // Every page holds at least one event, so `limit` pages are enough.
    const pages = this.exec("SELECT body FROM event_pages WHERE last_seq > ? ORDER BY first_seq LIMIT ?", after, limit - out.length);
    for (const page of pages) {
      for (const e of JSON.parse(page.body as string) as RunEvent[]) {
        if (e.seq > after && out.length < limit) out.push(e);
      }
    }
    return out;
  }

  /**
   * Records charges not yet applied to the tenant ledger. Keys are unique by construction (run,
   * attempt, unit, unit attempt, call) and a commit is applied once, so no index guards them: one
   * row written per charge. The tenant ledger dedupes by key in any case.
   */
  addCharges(charges: { key: string; amount: number }[]): void {
    for (const c of charges) this.write("INSERT INTO charges (key, amount) VALUES (?, ?)", c.key, c.amount);
  }

  /** Charges the tenant ledger has not acknowledged yet, with the rowid to acknowledge them by. */
  unsettledCharges(): { charges: { key: string; amount: number }[]; through: number } {
    const run = this.run();
    const rows = this.exec(
      "SELECT rowid AS r, key, amount FROM charges WHERE rowid > ? ORDER BY rowid",
      run?.charges_synced ?? 0,
    ).toArray();
    const last = rows[rows.length - 1];
    return {
      charges: rows.map((r) => ({ key: r.key as string, amount: r.amount as number })),
      through: last ? (last.r as number) : (run?.charges_synced ?? 0),
    };
  }

  addTicket(ticket: string, expiresAt: number): void {
    this.write("DELETE FROM tickets WHERE expires_at < ?", Date.now());
    this.write("INSERT INTO tickets (ticket, expires_at) VALUES (?, ?)", ticket, expiresAt);
  }

  /** Consumes a ticket: true once, if it exists and has not expired. */
  takeTicket(ticket: string, now: number): boolean {
    const row = this.exec("SELECT expires_at FROM tickets WHERE ticket = ?", ticket).toArray()[0];
    if (!row) return false;
    this.write("DELETE FROM tickets WHERE ticket = ?", ticket);
    return (row.expires_at as number) > now;
  }
}
