// The embedded credit ledger: a tenant's balance, reservations and ledger rows in its Durable
// Object's SQLite. One writer per tenant makes every movement atomic; keys make them idempotent.

import type { Balance, LedgerEntry, LedgerKind } from "../adapters/ledger/port";
import type { StoreSchema } from "../storage/migrations";
import {
  applyCharge,
  applyRelease,
  applyReserve,
  applyTopUp,
  checkAmount,
  checkKey,
  LedgerArgumentError,
  NO_RESERVATION,
  type Reservation,
  type Totals,
} from "./credits";

// `reservations` keeps each run's totals (reserved, charged, released: what it still holds is
// the difference) and, from step 3, the idempotency keys of its movements; `ledger` is
// append-only, one row per movement with the balance after it.
// Step 1's tables. Released: never edit this text; a change is a new step in LEDGER_SCHEMA.
const TABLES_1 = `
CREATE TABLE IF NOT EXISTS balance (id INTEGER PRIMARY KEY CHECK (id = 1), available INTEGER NOT NULL,
  reserved INTEGER NOT NULL, spent_total INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS reservations (run_id TEXT PRIMARY KEY, amount INTEGER NOT NULL,
  charged INTEGER NOT NULL DEFAULT 0, released INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS ledger (id INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT, kind TEXT NOT NULL,
  amount INTEGER NOT NULL, balance_after INTEGER NOT NULL, idem_key TEXT NOT NULL UNIQUE,
  reason TEXT, created_at INTEGER NOT NULL);
INSERT OR IGNORE INTO balance (id, available, reserved, spent_total) VALUES (1, 0, 0, 0);
`;

// Step 2: `ledger` without AUTOINCREMENT. Entries are never deleted, so a new id (the largest plus
// one) is what AUTOINCREMENT gave, without its sqlite_sequence write on every entry. `reservations`
// WITHOUT ROWID: a run's reservation is stored in its key, one row written instead of two; with
// `charged_through`, the last of the run's charges (numbered by the run) applied (see `settle`).
const REBUILT_2 = `
CREATE TABLE reservations_rebuilt (run_id TEXT PRIMARY KEY, amount INTEGER NOT NULL,
  charged INTEGER NOT NULL DEFAULT 0, released INTEGER NOT NULL DEFAULT 0,
  charged_through INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;
INSERT INTO reservations_rebuilt (run_id, amount, charged, released) SELECT run_id, amount, charged, released FROM reservations;
DROP TABLE reservations;
ALTER TABLE reservations_rebuilt RENAME TO reservations;
CREATE TABLE ledger_rebuilt (id INTEGER PRIMARY KEY, run_id TEXT, kind TEXT NOT NULL,
  amount INTEGER NOT NULL, balance_after INTEGER NOT NULL, idem_key TEXT NOT NULL UNIQUE,
  reason TEXT, created_at INTEGER NOT NULL);
INSERT INTO ledger_rebuilt (id, run_id, kind, amount, balance_after, idem_key, reason, created_at)
  SELECT id, run_id, kind, amount, balance_after, idem_key, reason, created_at FROM ledger ORDER BY id;
DROP TABLE ledger;
ALTER TABLE ledger_rebuilt RENAME TO ledger;
`;

// Step 3: fewer rows per movement (docs/credits.md). The balance is the last entry's: every
// movement is an entry, so each entry records the balance after it (available, reserved, spent)
// and the `balance` row, written again on every movement, goes. A run's idempotency keys are kept
// on its reservation, which each of its movements writes anyway, instead of in a unique index that
// every entry added a row to; only top-ups (no run) keep their keys in an index. The ledger is
// rebuilt because its inline UNIQUE cannot be dropped; the last entry takes the balance row's
// figures, and runs with entries but no reservation get an empty one to hold their keys. The keys
// of a sync's charges (`charges:…`) are not kept: `charged_through` is what skips those.
const REBUILT_3 = `
CREATE TABLE ledger_rebuilt (id INTEGER PRIMARY KEY, run_id TEXT, kind TEXT NOT NULL, amount INTEGER NOT NULL,
  balance_after INTEGER NOT NULL, reserved_after INTEGER, spent_after INTEGER, idem_key TEXT NOT NULL,
  reason TEXT, created_at INTEGER NOT NULL);
INSERT INTO ledger_rebuilt (id, run_id, kind, amount, balance_after, idem_key, reason, created_at)
  SELECT id, run_id, kind, amount, balance_after, idem_key, reason, created_at FROM ledger ORDER BY id;
DROP TABLE ledger;
ALTER TABLE ledger_rebuilt RENAME TO ledger;
CREATE UNIQUE INDEX ledger_topup_keys ON ledger (idem_key) WHERE run_id IS NULL;
UPDATE ledger SET balance_after = (SELECT available FROM balance WHERE id = 1),
  reserved_after = (SELECT reserved FROM balance WHERE id = 1), spent_after = (SELECT spent_total FROM balance WHERE id = 1)
  WHERE id = (SELECT MAX(id) FROM ledger);
DROP TABLE balance;
ALTER TABLE reservations ADD COLUMN keys TEXT NOT NULL DEFAULT '[]';
UPDATE reservations SET keys = k.keys
  FROM (SELECT run_id, json_group_array(idem_key) AS keys FROM ledger
    WHERE run_id IS NOT NULL AND idem_key NOT LIKE 'charges:%' GROUP BY run_id) AS k
  WHERE reservations.run_id = k.run_id;
INSERT INTO reservations (run_id, amount, charged, released, charged_through, keys)
  SELECT run_id, 0, 0, 0, 0, json_group_array(idem_key) FROM ledger
  WHERE run_id IS NOT NULL AND idem_key NOT LIKE 'charges:%' AND run_id NOT IN (SELECT run_id FROM reservations)
  GROUP BY run_id;
`;

/** The ledger's tables, by schema step (src/storage/migrations.ts); released steps are never edited. */
export const LEDGER_SCHEMA: StoreSchema = {
  store: "ledger",
  steps: [
    TABLES_1,
    REBUILT_2,
    (sql) => {
      // A balance other than zero with no entry to carry it cannot be kept by step 3: refused, with
      // nothing changed, rather than lost (it cannot happen: every movement is an entry).
      const b = sql.exec("SELECT available, reserved, spent_total FROM balance WHERE id = 1").toArray()[0];
      const entries = sql.exec("SELECT count(*) AS n FROM ledger").one().n as number;
      if (entries === 0 && b && (b.available !== 0 || b.reserved !== 0 || b.spent_total !== 0)) {
        throw new Error("the balance is not zero but the ledger has no entry to carry it");
      }
      sql.exec(REBUILT_3);
    },
  ],
};

/** A run's reservation as the ledger keeps it: its totals, its last charge applied and its keys. */
export interface StoredHold {
  amount: number;
  charged: number;
  released: number;
  through: number;
  keys: string[];
}

/**
 * The tenant's run index as the ledger sees it. A run the tenant indexes keeps its reservation in
 * its index row (`hold`), which every movement of the run writes anyway (creation, the run's
 * syncs), so the reservation costs no row of its own (docs/credits.md). Runs indexed before, and
 * run ids the index does not have (the `CreditLedger` port takes any), keep it in `reservations`.
 */
export interface HoldRows {
  /** The hold in the run's index row; null when the run has no row or its row has no hold. */
  hold(runId: string): StoredHold | null;
  /** Writes the hold into the run's index row; false when the run has no row. */
  setHold(runId: string, hold: StoredHold): boolean;
}

/**
 * A movement's reservation, left for the caller to write with the run index row it writes in
 * the same transaction (`forRow`); `LedgerStore.keep` writes it if the row did not take it.
 */
export class PendingHold {
  hold: StoredHold | null = null;
  /** The run's reservation belongs in its index row (false: in `reservations`). */
  inRow = false;
  taken = false;

  /**
   * What the caller has read of the run already, so the ledger does not read it again: the hold
   * in the run's index row (`{ inRow }`, null when the row keeps none), or `"new"` for a run
   * being created, which has a reservation nowhere yet. Null: the ledger reads both places.
   */
  constructor(readonly known: { inRow: StoredHold | null } | "new" | null = null) {}

  /** The hold for the run's index row, or null when there is none to write there. */
  forRow(): StoredHold | null {
    return this.hold && this.inRow && !this.taken ? this.hold : null;
  }
}

/** Largest ledger page (entries). */
export const MAX_LEDGER_PAGE = 1000;
const CURSOR = /^[0-9]{1,18}$/;

const ZERO: Totals = { available: 0, reserved: 0, spent_total: 0 };

/** A run's reservation, its keys and the balance while a movement changes them in memory. */
interface Working {
  totals: Totals;
  /** The run had a reservation before this movement. */
  held: boolean;
  reservation: Reservation;
  /** The number of the run's last charge applied (`settle`). */
  through: number;
  /** The idempotency keys of the run's movements applied so far. */
  keys: Set<string>;
  moved: boolean;
  /** Where the reservation is kept: the run's index row, or `reservations`. */
  inRow: boolean;
}

/** Throws, before anything moves, on a run id or charge list the ledger cannot take. */
function checkCharges(runId: string, charges: { key: string; amount: number }[]): void {
  checkKey("run id", runId);
  if (!Array.isArray(charges)) throw new LedgerArgumentError("charges must be a list of { key, amount }");
  for (const c of charges) {
    checkKey("charge key", c?.key);
    checkAmount(`charge ${c.key} amount`, c.amount, true);
  }
}

/**
 * Must run inside the owner's transaction (`transactionSync`) so a thrown error writes nothing.
 * Rows: a run's movement writes its entry and its reservation (the reservation once per call, for
 * all its entries); a top-up its entry and the entry's key. The balance is kept in memory once
 * read or written: the owner calls `forgetCached` when a transaction rolls back
 * (storage/transactions.ts), and nothing else writes the ledger.
 */
export class LedgerStore {
  /** The balance after the last entry, as read or written by this instance; undefined: not known. */
  private last: Totals | undefined;

  /**
   * Opens the ledger of a storage already migrated to LEDGER_SCHEMA; with `rows`, a run the
   * tenant indexes keeps its reservation in its index row.
   */
  constructor(
    private readonly sql: SqlStorage,
    private readonly rows: HoldRows | null = null,
  ) {}

  /** The balance after the last entry (every movement is one); zero before any. */
  balance(): Balance {
    if (!this.last) {
      const r = this.sql.exec("SELECT balance_after, reserved_after, spent_after FROM ledger ORDER BY id DESC LIMIT 1").toArray()[0];
      this.last = r
        ? { available: r.balance_after as number, reserved: r.reserved_after as number, spent_total: r.spent_after as number }
        : ZERO;
    }
    return { ...this.last };
  }

  /** Forgets the balance kept in memory (a transaction that wrote entries rolled back). */
  forgetCached(): void {
    this.last = undefined;
  }

  /** An entry, with the balance after it (`balance()` reads the last one). */
  private entry(runId: string | null, kind: LedgerKind, amount: number, after: Totals, key: string, reason: string | null, now: number) {
    this.sql.exec(
      `INSERT INTO ledger (run_id, kind, amount, balance_after, reserved_after, spent_after, idem_key, reason, created_at)
       VALUES (?,?,?,?,?,?,?,?,?)`,
      runId,
      kind,
      amount,
      after.available,
      after.reserved,
      after.spent_total,
      key,
      reason,
      now,
    );
    this.last = { available: after.available, reserved: after.reserved, spent_total: after.spent_total };
  }

  /** A run's entry, with its key kept for the run's reservation. */
  private runEntry(w: Working, runId: string, kind: LedgerKind, amount: number, key: string, now: number): void {
    this.entry(runId, kind, amount, w.totals, key, null, now);
    w.keys.add(key);
    w.moved = true;
  }

  /**
   * A run's reservation, its keys and the balance, read once to be changed in memory. With
   * `pending`, a run with no reservation yet keeps it in the index row its caller writes.
   */
  private working(runId: string, pending: PendingHold | null): Working {
    const known = pending?.known ?? null;
    const inRow = known === "new" ? null : known ? known.inRow : (this.rows?.hold(runId) ?? null);
    const stored = inRow ?? (known === "new" ? null : this.tableHold(runId));
    return {
      totals: this.balance(),
      held: stored !== null,
      reservation: stored ? { amount: stored.amount, charged: stored.charged, released: stored.released } : NO_RESERVATION,
      through: stored?.through ?? 0,
      keys: new Set(stored?.keys ?? []),
      moved: false,
      inRow: inRow !== null || (stored === null && pending !== null && this.rows !== null),
    };
  }

  /** A run's reservation in `reservations`, if it has one there. */
  private tableHold(runId: string): StoredHold | null {
    const r = this.sql
      .exec("SELECT amount, charged, released, charged_through, keys FROM reservations WHERE run_id = ?", runId)
      .toArray()[0];
    if (!r) return null;
    const keys = JSON.parse(r.keys as string) as string[];
    return {
      amount: r.amount as number,
      charged: r.charged as number,
      released: r.released as number,
      through: r.charged_through as number,
      keys,
    };
  }

  /**
   * Writes the run's reservation when the movement changed it: one row, its index row or its
   * row in `reservations`; with `pending`, left to the caller (see PendingHold).
   */
  private saveWorking(runId: string, w: Working, pending: PendingHold | null): void {
    if (!w.moved) return;
    const hold: StoredHold = { ...w.reservation, through: w.through, keys: [...w.keys] };
    if (pending) {
      pending.hold = hold;
      pending.inRow = w.inRow;
    } else this.write(runId, hold, w.inRow);
  }

  /** Writes a run's reservation: into its index row when it belongs there and the row exists, else `reservations`. */
  private write(runId: string, hold: StoredHold, inRow: boolean): void {
    if (inRow && this.rows?.setHold(runId, hold)) return;
    this.sql.exec(
      `INSERT INTO reservations (run_id, amount, charged, released, charged_through, keys) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (run_id) DO UPDATE SET amount = excluded.amount, charged = excluded.charged,
       released = excluded.released, charged_through = excluded.charged_through, keys = excluded.keys`,
      runId,
      hold.amount,
      hold.charged,
      hold.released,
      hold.through,
      JSON.stringify(hold.keys),
    );
  }

  /** Writes a pending reservation that the run's index row did not take. */
  keep(runId: string, pending: PendingHold): void {
    if (!pending.hold || pending.taken) return;
    this.write(runId, pending.hold, pending.inRow);
    pending.taken = true;
  }

  /** The run's index row is going (a creation undone): its reservation moves to `reservations`. */
  detach(runId: string): void {
    const hold = this.rows?.hold(runId);
    if (hold) this.write(runId, hold, false);
  }

  /**
   * Reserves `amount` (integer ≥ 1) for a run, adding to what it already holds. False, and nothing
   * changes, when available is short; a key already applied answers true without moving anything.
   * With `pending`, the reservation is left for the caller to write (see PendingHold).
   */
  reserve(runId: string, amount: number, key: string, now = Date.now(), pending: PendingHold | null = null): boolean {
    checkKey("run id", runId);
    checkKey("idempotency key", key);
    checkAmount("reserve amount", amount);
    const w = this.working(runId, pending);
    if (w.keys.has(key)) return true;
    const next = applyReserve(w.totals, w.reservation, amount);
    if (!next) return false;
    w.totals = next.totals;
    w.reservation = next.reservation;
    this.runEntry(w, runId, "reserve", amount, key, now);
    this.saveWorking(runId, w, pending);
    return true;
  }

  /**
   * Charges a run's calls, in order, from what it holds (each takes at most what is left). A key
   * already applied is skipped. Returns the credits newly taken. All-or-nothing on a bad charge.
   * The reservation is written once for the whole list; each charge has its entry.
   */
  charge(runId: string, charges: { key: string; amount: number }[], now = Date.now()): number {
    checkCharges(runId, charges);
    const w = this.working(runId, null);
    const total = this.chargeEach(w, runId, charges, now);
    this.saveWorking(runId, w, null);
    return total;
  }

  /** Returns what a run still holds to available (an entry is written even for zero). */
  release(runId: string, key: string, now = Date.now()): number {
    checkKey("run id", runId);
    checkKey("idempotency key", key);
    const w = this.working(runId, null);
    const returned = this.releaseInto(w, runId, key, now);
    this.saveWorking(runId, w, null);
    return returned;
  }

  /**
   * What a sync from the run object settles: the run's charges, numbered by the run from `from`
   * (its count of charges only grows, and a sync sends every charge not yet acknowledged), then,
   * with `releaseKey`, the release. The reservation keeps the number of the last charge applied:
   * a charge numbered at or below it was taken by an earlier sync whose answer was lost, and is
   * skipped, so nothing is taken twice. The charges taken are one ledger entry (key
   * `charges:<run>:<first>-<last>`), not one per call; a charge whose own key the run has (applied
   * one by one by an earlier build) is skipped too. The reservation is written once. Without a
   * reservation (never made here) each charge is an entry of its own, by key. Returns the credits
   * newly taken. With `pending`, the reservation is left for the caller to write (see PendingHold).
   */
  settle(
    runId: string,
    batch: { charges: { key: string; amount: number }[]; from: number },
    releaseKey: string | null,
    now = Date.now(),
    pending: PendingHold | null = null,
  ): number {
    checkCharges(runId, batch.charges);
    if (!Number.isInteger(batch.from) || batch.from < 1)
      throw new LedgerArgumentError(`charges must be numbered from 1, got ${batch.from}`);
    if (releaseKey !== null) checkKey("idempotency key", releaseKey);
    const w = this.working(runId, pending);
    let total = 0;
    if (!w.held) total = this.chargeEach(w, runId, batch.charges, now);
    else {
      let first = 0;
      batch.charges.forEach((c, i) => {
        const n = batch.from + i;
        if (n <= w.through) return;
        w.through = n;
        w.moved = true;
        if (w.keys.has(c.key)) return;
        total += this.take(w, c.amount);
        first ||= n;
      });
      // The batch's key is not kept with the run: `charged_through` is what skips a batch sent
      // again, so the run's list of keys does not grow with every sync of a long run.
      if (first > 0) this.entry(runId, "charge", total, w.totals, `charges:${runId}:${first}-${w.through}`, null, now);
    }
    if (releaseKey !== null) this.releaseInto(w, runId, releaseKey, now);
    this.saveWorking(runId, w, pending);
    return total;
  }

  /** Each charge whose key the run does not have, taken in turn, each with its own entry. */
  private chargeEach(w: Working, runId: string, charges: { key: string; amount: number }[], now: number): number {
    let total = 0;
    for (const c of charges) {
      if (w.keys.has(c.key)) continue;
      const taken = this.take(w, c.amount);
      this.runEntry(w, runId, "charge", taken, c.key, now);
      total += taken;
    }
    return total;
  }

  /** Takes a charge of `amount` from the run's reservation in `w`; returns what it took. */
  private take(w: Working, amount: number): number {
    const next = applyCharge(w.totals, w.reservation, amount);
    w.totals = next.totals;
    w.reservation = next.reservation;
    w.moved = true;
    return next.taken;
  }

  private releaseInto(w: Working, runId: string, key: string, now: number): number {
    if (w.keys.has(key)) return 0;
    const next = applyRelease(w.totals, w.reservation);
    w.totals = next.totals;
    w.reservation = next.reservation;
    this.runEntry(w, runId, "release", next.returned, key, now);
    return next.returned;
  }

  /** Adds `amount` (integer ≥ 1) to available, once per key. */
  topUp(amount: number, key: string, reason: string | null, now = Date.now()): void {
    checkKey("idempotency key", key);
    checkAmount("top-up amount", amount);
    if (this.sql.exec("SELECT 1 FROM ledger WHERE idem_key = ? AND run_id IS NULL", key).toArray().length > 0) return;
    this.entry(null, "topup", amount, applyTopUp(this.balance(), amount), key, reason, now);
  }

  /** Ledger entries newest first, `limit` 1..1000; the cursor is the last id of the previous page. */
  page(limit: number, cursor: string | null): { entries: LedgerEntry[]; next_cursor: string | null } {
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LEDGER_PAGE) {
      throw new LedgerArgumentError(`ledger page limit must be an integer from 1 to ${MAX_LEDGER_PAGE}, got ${limit}`);
    }
    if (cursor !== null && !CURSOR.test(cursor)) throw new LedgerArgumentError("invalid ledger cursor");
    const before = cursor ? Number(cursor) : Number.MAX_SAFE_INTEGER;
    const rows = this.sql.exec("SELECT * FROM ledger WHERE id < ? ORDER BY id DESC LIMIT ?", before, limit + 1).toArray();
    const entries = rows.slice(0, limit).map((r) => ({
      id: String(r.id),
      run_id: (r.run_id as string | null) ?? null,
      kind: r.kind as LedgerKind,
      amount: r.amount as number,
      balance_after: r.balance_after as number,
      created_at: new Date(r.created_at as number).toISOString(),
    }));
    return { entries, next_cursor: rows.length > limit ? entries[entries.length - 1]!.id : null };
  }
}
