// Nonces of the tickets that open the tenant's live event stream without a header: recorded when
// the Worker signs a ticket, each usable once until it expires.

import type { StoreSchema } from "../storage/migrations";

/** The tickets table, by schema step (src/storage/migrations.ts); released steps are never edited. */
export const STREAM_TICKETS_SCHEMA: StoreSchema = {
  store: "stream_tickets",
  steps: [`CREATE TABLE IF NOT EXISTS stream_tickets (nonce TEXT PRIMARY KEY, expires_at INTEGER NOT NULL) WITHOUT ROWID`],
};

export class StreamTickets {
  /** Opens the table of a storage already migrated to STREAM_TICKETS_SCHEMA. */
  constructor(private readonly sql: SqlStorage) {}

  /** Records a nonce usable until `expiresAt` (epoch ms), dropping expired ones. */
  issue(nonce: string, expiresAt: number, now: number): void {
    this.sql.exec("DELETE FROM stream_tickets WHERE expires_at <= ?", now);
    this.sql.exec("INSERT INTO stream_tickets (nonce, expires_at) VALUES (?, ?)", nonce, expiresAt);
  }

  /** Consumes a nonce: true once, if it was issued and has not expired. */
  take(nonce: string, now: number): boolean {
    const row = this.sql.exec("SELECT expires_at FROM stream_tickets WHERE nonce = ?", nonce).toArray()[0];
    if (!row) return false;
    this.sql.exec("DELETE FROM stream_tickets WHERE nonce = ?", nonce);
    return (row.expires_at as number) > now;
  }
}
