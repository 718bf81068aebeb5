// The embedded credit ledger: a tenant's balance, reservations and ledger rows in its Durable
// Object's SQLite. One writer per tenant makes every movement atomic; keys make them idempotent.

import type { Balance, LedgerEntry, LedgerKind } from "../adapters/ledger/port";
import { applyCharge, applyRelease, applyReserve, applyTopUp, type Reservation, type Totals } from "./credits";

export const LEDGER_SCHEMA = `
CREATE TABLE IF NOT EXISTS balance (id INTEGER PRIMARY KEY CHECK (id = 1), available INTEGER NOT NULL,
  reserved INTEGER NOT NULL, spent_total INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS reservations (run_id TEXT PRIMARY KEY, amount INTEGER NOT NULL,
  charged INTEGER NOT NULL DEFAULT 0, released INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS ledger (id INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT, kind TEXT NOT NULL,
  amount INTEGER NOT NULL, balance_after INTEGER NOT NULL, idem_key TEXT NOT NULL UNIQUE,
  reason TEXT, created_at INTEGER NOT NULL);
`;

export class LedgerStore {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(LEDGER_SCHEMA);
    sql.exec("INSERT OR IGNORE INTO balance (id, available, reserved, spent_total) VALUES (1, 0, 0, 0)");
  }

  balance(): Balance {
    const r = this.sql.exec("SELECT available, reserved, spent_total FROM balance WHERE id = 1").one();
    return { available: r.available as number, reserved: r.reserved as number, spent_total: r.spent_total as number };
  }

  private save(t: Totals): void {
    this.sql.exec("UPDATE balance SET available = ?, reserved = ?, spent_total = ? WHERE id = 1", t.available, t.reserved, t.spent_total);
  }

  private seen(key: string): boolean {
    return this.sql.exec("SELECT 1 FROM ledger WHERE idem_key = ?", key).toArray().length > 0;
  }

  private entry(runId: string | null, kind: LedgerKind, amount: number, key: string, reason: string | null, now: number): void {
    this.sql.exec(
      "INSERT INTO ledger (run_id, kind, amount, balance_after, idem_key, reason, created_at) VALUES (?,?,?,?,?,?,?)",
      runId,
      kind,
      amount,
      this.balance().available,
      key,
      reason,
      now,
    );
  }

  private reservation(runId: string): Reservation | null {
    const r = this.sql.exec("SELECT amount, charged, released FROM reservations WHERE run_id = ?", runId).toArray()[0];
    return r ? { amount: r.amount as number, charged: r.charged as number, released: r.released === 1 } : null;
  }

  /** Reserves `amount` for a run. False (and nothing changes) when available is short. */
  reserve(runId: string, amount: number, key: string, now = Date.now()): boolean {
    if (this.seen(key)) return true;
    const next = applyReserve(this.balance(), amount);
    if (!next) return false;
    this.save(next);
    const existing = this.reservation(runId);
    if (existing) {
      this.sql.exec("UPDATE reservations SET amount = ?, charged = 0, released = 0 WHERE run_id = ?", amount, runId);
    } else this.sql.exec("INSERT INTO reservations (run_id, amount) VALUES (?, ?)", runId, amount);
    this.entry(runId, "reserve", amount, key, null, now);
    return true;
  }

  /** Charges a run's calls from its reservation; keys already applied are skipped. */
  charge(runId: string, charges: { key: string; amount: number }[], now = Date.now()): void {
    for (const c of charges) {
      if (this.seen(c.key)) continue;
      const r = this.reservation(runId);
      if (!r) throw new Error(`no reservation for run ${runId}`);
      const { totals, taken } = applyCharge(this.balance(), r, c.amount);
      this.save(totals);
      this.sql.exec("UPDATE reservations SET charged = charged + ? WHERE run_id = ?", taken, runId);
      this.entry(runId, "charge", taken, c.key, null, now);
    }
  }

  /** Returns the unspent part of a run's reservation to available. */
  release(runId: string, key: string, now = Date.now()): void {
    if (this.seen(key)) return;
    const r = this.reservation(runId);
    if (!r || r.released) return;
    const { totals, returned } = applyRelease(this.balance(), r);
    this.save(totals);
    this.sql.exec("UPDATE reservations SET released = 1 WHERE run_id = ?", runId);
    this.entry(runId, "release", returned, key, null, now);
  }

  /** Removes a reservation that never became a run (its creation failed). */
  cancelReservation(runId: string, key: string, now = Date.now()): void {
    this.release(runId, key, now);
  }

  topUp(amount: number, key: string, reason: string | null, now = Date.now()): void {
    if (this.seen(key)) return;
    this.save(applyTopUp(this.balance(), amount));
    this.entry(null, "topup", amount, key, reason, now);
  }

  /** Ledger entries newest first; the cursor is the last id of the previous page. */
  page(limit: number, cursor: string | null): { entries: LedgerEntry[]; next_cursor: string | null } {
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
