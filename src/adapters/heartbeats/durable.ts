// Embedded Heartbeats: every worker's beats in the SQLite of one OpsObject instance ("workers").
// The SQL side runs inside the object (src/ops/ops-object.ts); the adapter calls it by RPC.

import type { StoreSchema } from "../../storage/migrations";
import type { Heartbeats, WorkerBeat } from "./port";

/** The heartbeats table, by schema step (src/storage/migrations.ts); released steps are never edited. */
export const HEARTBEATS_SCHEMA: StoreSchema = {
  store: "heartbeats",
  steps: [
    `CREATE TABLE IF NOT EXISTS workers (id TEXT PRIMARY KEY, lane TEXT NOT NULL,
      last_beat_at INTEGER NOT NULL, runs_in_flight INTEGER NOT NULL, expires_at INTEGER NOT NULL)`,
    // 2: WITHOUT ROWID, the worker stored in its key: a beat or a stop writes one row, not a row
    // and an index entry.
    `CREATE TABLE workers_rebuilt (id TEXT PRIMARY KEY, lane TEXT NOT NULL, last_beat_at INTEGER NOT NULL,
      runs_in_flight INTEGER NOT NULL, expires_at INTEGER NOT NULL) WITHOUT ROWID;
    INSERT INTO workers_rebuilt (id, lane, last_beat_at, runs_in_flight, expires_at)
      SELECT id, lane, last_beat_at, runs_in_flight, expires_at FROM workers;
    DROP TABLE workers;
    ALTER TABLE workers_rebuilt RENAME TO workers;`,
  ],
};

/** The SQL side, over a storage migrated to HEARTBEATS_SCHEMA. Times are epoch ms. */
export class HeartbeatStore {
  constructor(private readonly sql: SqlStorage) {}

  beat(id: string, lane: string, runsInFlight: number, ttlMs: number, now: number): void {
    this.sql.exec(
      `INSERT INTO workers (id, lane, last_beat_at, runs_in_flight, expires_at) VALUES (?,?,?,?,?)
       ON CONFLICT (id) DO UPDATE SET lane = excluded.lane, last_beat_at = excluded.last_beat_at,
       runs_in_flight = excluded.runs_in_flight, expires_at = excluded.expires_at`,
      id,
      lane,
      now,
      runsInFlight,
      now + ttlMs,
    );
  }

  stop(id: string): void {
    this.sql.exec("DELETE FROM workers WHERE id = ?", id);
  }

  /** Live workers by id; expired ones are deleted first. */
  list(now: number): WorkerBeat[] {
    this.sql.exec("DELETE FROM workers WHERE expires_at <= ?", now);
    return this.sql
      .exec("SELECT * FROM workers ORDER BY id")
      .toArray()
      .map((r) => ({
        id: r.id as string,
        lane: r.lane as string,
        last_beat_at: new Date(r.last_beat_at as number).toISOString(),
        runs_in_flight: r.runs_in_flight as number,
      }));
  }
}

/** The OpsObject instance that keeps the deployment's heartbeats. */
export const HEARTBEATS_INSTANCE = "workers";

/** The Heartbeats port over the OpsObject instance `name` (default HEARTBEATS_INSTANCE; tests use their own). */
export function durableHeartbeats(ns: Env["OPS"], name = HEARTBEATS_INSTANCE): Heartbeats {
  const stub = () => ns.get(ns.idFromName(name));
  return {
    beat: async (id, lane, n, ttl) => stub().beat(id, lane, n, ttl),
    stop: async (id) => stub().stop(id),
    list: async () => stub().list(),
  };
}
