// The journal's schema steps (src/storage/migrations.ts) and, for step 5, the fold of the tables of
// steps 1-4 (run row, steps, events one per row and in pages, charges, stream tickets) and the
// approvals store's table into the pages of `journal`. Released steps are never edited.

import type { RunEvent } from "../domain/types";
import { addMissingColumns, type StoreSchema } from "../storage/migrations";
import type { ApprovalRow, Patch, RunRow, StepRow } from "./journal";

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

// Step 5's table: the whole journal in one table, a page per transition (src/run/README.md).
const PAGES = "CREATE TABLE IF NOT EXISTS journal (n INTEGER PRIMARY KEY, last_seq INTEGER NOT NULL, events TEXT, patch TEXT NOT NULL)";

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
    // 5: one row per transition: its events and what it changed (run, steps, charges, approvals,
    // stream tickets). The tables of steps 1-4 and the approvals store's are folded into pages
    // and dropped (journal-pages.ts).
    (sql) => {
      sql.exec(PAGES);
      foldIntoPages(sql);
    },
  ],
  // A new object: step 5's table alone, the same schema as steps 1-5 leave.
  fresh: PAGES,
  // Only step 5 and later have `journal`: an object with it and no version row is at step 5. A
  // new run object so writes its one table and no `_schema` (2 rows instead of 5).
  implied: { table: "journal", version: 5 },
};

const RUN_JSON = ["agent", "input", "output", "error", "plan", "usage", "metadata", "resolution", "cost"];
const STEP_JSON = ["output", "usage", "transcript"];
const LEGACY = ["run", "steps", "events", "event_pages", "charges", "tickets", "approvals"];

function decode<T>(row: Record<string, SqlStorageValue>, columns: readonly string[]): T {
  const out: Record<string, unknown> = { ...row };
  for (const c of columns) {
    const v = row[c];
    out[c] = typeof v === "string" ? JSON.parse(v) : null;
  }
  return out as T;
}

/** Writes what the old tables hold as pages (events first, then one page with the whole state) and drops them. */
export function foldIntoPages(sql: SqlStorage): void {
  const have = new Set(
    sql
      .exec("SELECT name FROM sqlite_master WHERE type = 'table'")
      .toArray()
      .map((r) => r.name as string),
  );
  const row = have.has("run") ? sql.exec("SELECT * FROM run LIMIT 1").toArray()[0] : undefined;
  if (row) {
    let n = 0;
    const page = (last: number, events: string | null, patch: Patch) =>
      sql.exec("INSERT INTO journal (n, last_seq, events, patch) VALUES (?, ?, ?, ?)", ++n, last, events, JSON.stringify(patch));

    const legacy: RunEvent[] = sql
      .exec("SELECT * FROM events ORDER BY seq")
      .toArray()
      .map((r) => ({
        seq: r.seq as number,
        ts: new Date(r.ts as number).toISOString(),
        type: r.type as RunEvent["type"],
        level: r.level as RunEvent["level"],
        message: r.message as string,
        ...(typeof r.data === "string" ? { data: JSON.parse(r.data) as unknown } : {}),
      }));
    if (legacy.length > 0) page(legacy[legacy.length - 1]!.seq, JSON.stringify(legacy), {});
    if (have.has("event_pages")) {
      for (const p of sql.exec("SELECT last_seq, body FROM event_pages ORDER BY first_seq").toArray()) {
        page(p.last_seq as number, p.body as string, {});
      }
    }

    const run = decode<RunRow>(row, RUN_JSON);
    const steps: Record<string, StepRow> = {};
    for (const s of sql.exec("SELECT * FROM steps ORDER BY idx").toArray()) steps[s.idx as number] = decode<StepRow>(s, STEP_JSON);
    // Acknowledged charges were those up to rowid charges_synced; now they are counted.
    const charges = sql.exec("SELECT rowid AS r, key, amount FROM charges ORDER BY rowid").toArray();
    const acknowledged = charges.filter((c) => (c.r as number) <= run.charges_synced).length;
    const approvals: Record<string, ApprovalRow> = {};
    if (have.has("approvals")) {
      for (const a of sql.exec("SELECT * FROM approvals ORDER BY n").toArray())
        approvals[a.n as number] = decode<ApprovalRow>(a, ["input"]);
    }
    const tickets: Record<string, number> = {};
    for (const t of sql.exec("SELECT ticket, expires_at FROM tickets WHERE expires_at > ?", Date.now()).toArray()) {
      tickets[t.ticket as string] = t.expires_at as number;
    }
    page(run.next_seq - 1, null, {
      run: { ...run, charges_synced: acknowledged },
      steps,
      charges: charges.map((c) => ({ key: c.key as string, amount: c.amount as number })),
      approvals,
      tickets,
    });
  }
  for (const t of LEGACY) if (have.has(t)) sql.exec(`DROP TABLE ${t}`);
  // The approvals store lives in the journal now: its version row goes with its table.
  sql.exec("DELETE FROM _schema WHERE store = 'approvals'");
}
