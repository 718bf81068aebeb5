// The replay cache of QStash deliveries, embedded: ids accepted in the last 10 minutes, kept in
// the SQLite of one OpsObject instance ("qstash-replays"), whatever the tenant.
import type { StoreSchema } from "../../storage/migrations";
import type { ReplayCache } from "./qstash-receiver";

/** How long an accepted delivery is remembered: twice QStash's 5-minute signature lifetime. */
export const REPLAY_WINDOW_MS = 10 * 60_000;

/** The replay cache's table, by schema step (src/storage/migrations.ts); released steps are never edited. */
export const REPLAYS_SCHEMA: StoreSchema = {
  store: "qstash-replays",
  steps: [
    `CREATE TABLE IF NOT EXISTS qstash_seen (id TEXT PRIMARY KEY, seen_at INTEGER NOT NULL);
      CREATE INDEX IF NOT EXISTS qstash_seen_at ON qstash_seen (seen_at)`,
  ],
};

/**
 * The SQL side, run inside the OpsObject over a storage migrated to REPLAYS_SCHEMA
 * (single-threaded, so check-then-insert is atomic).
 */
export class ReplayStore {
  constructor(private readonly sql: SqlStorage) {}

  /** Records `id`; true when it was already there (a replay). Forgets ids older than the window. */
  seen(id: string, now = Date.now()): boolean {
    this.sql.exec("DELETE FROM qstash_seen WHERE seen_at < ?", now - REPLAY_WINDOW_MS);
    if (this.sql.exec("SELECT 1 FROM qstash_seen WHERE id = ?", id).toArray().length > 0) return true;
    this.sql.exec("INSERT INTO qstash_seen (id, seen_at) VALUES (?, ?)", id, now);
    return false;
  }
}

/** The ReplayCache over the OpsObject named "qstash-replays" (one RPC per delivery). */
export function durableReplayCache(ns: Env["OPS"]): ReplayCache {
  return { seen: async (id) => ns.get(ns.idFromName("qstash-replays")).seenDelivery(id) };
}
