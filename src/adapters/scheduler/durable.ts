// The embedded Scheduler: pending deliveries in the SQLite of one OpsObject instance ("scheduler"),
// one row per dedup key; the object's alarm, kept at the earliest due time, sends them to their queue.

import { log } from "../../ops/log";
import type { StoreSchema } from "../../storage/migrations";
import { DELIVERABLE_QUEUES, isDeliverableQueue, type ScheduledDelivery, type Scheduler } from "./port";

/** How long a sent delivery's key is remembered, so scheduling it again sends nothing: 7 days. */
export const SENT_RETENTION_MS = 7 * 24 * 3600_000;
/** Cloudflare Queues' largest message: 128 KB. A larger body is refused when it is scheduled. */
export const MAX_BODY_BYTES = 128 * 1024;
/** First retry of a failed send after 1 s, then doubling. */
export const RETRY_BASE_MS = 1000;
/** Longest wait between retries of a failed send: 5 minutes. */
export const RETRY_MAX_MS = 5 * 60_000;
/** Deliveries sent per alarm; more that are due wake the alarm again at once. */
export const ALARM_BATCH = 100;

/** A delivery as the RPC carries it: the body already JSON text (checked on the caller's side). */
export interface StoredDelivery {
  key: string;
  at: number;
  queue: string;
  /** JSON text of the body. */
  body: string;
}

/** What the object knows of one key: for inspection and tests. Times are epoch ms. */
export interface DeliveryRecord {
  key: string;
  queue: string;
  at: number;
  /** Send attempts so far, failed ones included. */
  attempts: number;
  /** Sends the queue accepted, from the append-only send log: 0 while pending, then 1. */
  sends: number;
  /** When the queue first accepted it, or null while pending. */
  sent_at: number | null;
  /** The last failed send's error, or null. */
  last_error: string | null;
}

/** Sends one due delivery; throws when the queue refuses it. */
export type SendDelivery = (queue: string, body: unknown, at: number) => Promise<void>;

/** Delay before the next try after `attempts` failed sends (ms). */
export function retryDelayMs(attempts: number): number {
  return Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** Math.max(0, attempts - 1));
}

/** Throws when `d` could never be sent: no key, no time, a queue it may not name, a body too large. */
export function checkDelivery(d: StoredDelivery): void {
  if (!d.key) throw new Error("scheduled delivery needs a key");
  if (!Number.isFinite(d.at)) throw new Error(`scheduled delivery ${d.key}: at must be epoch ms`);
  if (!isDeliverableQueue(d.queue)) throw new Error(`unknown queue ${d.queue}; expected one of ${DELIVERABLE_QUEUES.join(", ")}`);
  const bytes = new TextEncoder().encode(d.body).byteLength;
  if (bytes > MAX_BODY_BYTES) throw new Error(`scheduled delivery ${d.key}: body of ${bytes} bytes exceeds ${MAX_BODY_BYTES}`);
}

/** The scheduler's tables, by schema step (src/storage/migrations.ts); released steps are never edited. */
export const SCHEDULER_SCHEMA: StoreSchema = {
  store: "scheduler",
  steps: [
    `CREATE TABLE IF NOT EXISTS scheduled_deliveries (key TEXT PRIMARY KEY, at INTEGER NOT NULL,
        queue TEXT NOT NULL, body TEXT NOT NULL, next_try INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
        sent_at INTEGER, last_error TEXT);
      CREATE INDEX IF NOT EXISTS scheduled_deliveries_due ON scheduled_deliveries (sent_at, next_try);
      CREATE TABLE IF NOT EXISTS scheduled_sends (key TEXT NOT NULL, sent_at INTEGER NOT NULL);
      CREATE INDEX IF NOT EXISTS scheduled_sends_key ON scheduled_sends (key);
      CREATE INDEX IF NOT EXISTS scheduled_sends_at ON scheduled_sends (sent_at)`,
  ],
};

/**
 * The SQL side, run inside the OpsObject over a storage migrated to SCHEDULER_SCHEMA
 * (single-threaded: insert-or-ignore is the dedup). Each accepted send is also appended to
 * `scheduled_sends`, a log the delivery rows never overwrite.
 */
export class DeliveryStore {
  constructor(private readonly sql: SqlStorage) {}

  /** Stores `d` unless its key is already pending or was sent within SENT_RETENTION_MS; true when stored. */
  add(d: StoredDelivery): boolean {
    checkDelivery(d);
    const cursor = this.sql.exec(
      "INSERT OR IGNORE INTO scheduled_deliveries (key, at, queue, body, next_try) VALUES (?, ?, ?, ?, ?)",
      d.key,
      d.at,
      d.queue,
      d.body,
      d.at,
    );
    return cursor.rowsWritten > 0;
  }

  /** Pending deliveries whose next try is due, earliest first. */
  due(now: number, limit = ALARM_BATCH): StoredDelivery[] {
    return this.sql
      .exec(
        "SELECT key, at, queue, body FROM scheduled_deliveries WHERE sent_at IS NULL AND next_try <= ? ORDER BY next_try LIMIT ?",
        now,
        limit,
      )
      .toArray()
      .map((r) => ({ key: r.key as string, at: r.at as number, queue: r.queue as string, body: r.body as string }));
  }

  /** Records that the queue accepted `key`. */
  sent(key: string, now: number): void {
    this.sql.exec("UPDATE scheduled_deliveries SET attempts = attempts + 1, sent_at = ?, last_error = NULL WHERE key = ?", now, key);
    this.sql.exec("INSERT INTO scheduled_sends (key, sent_at) VALUES (?, ?)", key, now);
  }

  /** Records a failed send of `key` and when to try again. */
  failed(key: string, now: number, error: string): void {
    const row = this.sql.exec("SELECT attempts FROM scheduled_deliveries WHERE key = ?", key).toArray()[0];
    const attempts = ((row?.attempts as number | undefined) ?? 0) + 1;
    this.sql.exec(
      "UPDATE scheduled_deliveries SET attempts = ?, last_error = ?, next_try = ? WHERE key = ?",
      attempts,
      error,
      now + retryDelayMs(attempts),
      key,
    );
  }

  /** When the alarm must next fire: the earliest next try of a pending delivery, or null. */
  nextWake(): number | null {
    const row = this.sql.exec("SELECT MIN(next_try) AS t FROM scheduled_deliveries WHERE sent_at IS NULL").toArray()[0];
    return typeof row?.t === "number" ? row.t : null;
  }

  /** Forgets sent keys older than SENT_RETENTION_MS. */
  forget(now: number): void {
    this.sql.exec("DELETE FROM scheduled_deliveries WHERE sent_at IS NOT NULL AND sent_at < ?", now - SENT_RETENTION_MS);
    this.sql.exec("DELETE FROM scheduled_sends WHERE sent_at < ?", now - SENT_RETENTION_MS);
  }

  /** The record of `key`, or null when it is unknown (or forgotten). */
  record(key: string): DeliveryRecord | null {
    const r = this.sql.exec("SELECT key, queue, at, attempts, last_error FROM scheduled_deliveries WHERE key = ?", key).toArray()[0];
    if (!r) return null;
    const log = this.sql.exec("SELECT COUNT(*) AS sends, MIN(sent_at) AS first FROM scheduled_sends WHERE key = ?", key).toArray()[0];
    return {
      key: r.key as string,
      queue: r.queue as string,
      at: r.at as number,
      attempts: r.attempts as number,
      sends: (log?.sends as number | undefined) ?? 0,
      sent_at: (log?.first as number | null | undefined) ?? null,
      last_error: (r.last_error as string | null) ?? null,
    };
  }
}

/**
 * Sends every due delivery (up to ALARM_BATCH) and returns when the alarm must fire next, or null.
 * A delivery is marked sent only after its queue accepted it, so a crash in between sends it again
 * (at least once, like the queue itself); a send that throws stays pending with a backoff.
 */
export async function sendDue(store: DeliveryStore, send: SendDelivery, now = Date.now()): Promise<number | null> {
  const due = store.due(now);
  await Promise.all(
    due.map(async (d) => {
      try {
        await send(d.queue, JSON.parse(d.body), d.at);
        store.sent(d.key, Date.now());
      } catch (err) {
        const error = err instanceof Error ? err.message : String(err);
        log.error("scheduler.delivery_failed", "scheduled delivery failed; the alarm will retry", {
          delivery: d.key,
          queue: d.queue,
          error,
        });
        store.failed(d.key, Date.now(), error);
      }
    }),
  );
  store.forget(now);
  // A full batch may have left more due rows behind: wake again at once for them.
  return due.length === ALARM_BATCH ? Date.now() : store.nextWake();
}

/** The Scheduler port over the OpsObject instance `name` (default "scheduler"; tests use their own). */
export function durableScheduler(ns: Env["OPS"], name = "scheduler"): Scheduler {
  return {
    async schedule(delivery: ScheduledDelivery) {
      // Checked on this side too, so a delivery that could never be sent fails the caller before any call.
      const body = JSON.stringify(delivery.body);
      if (body === undefined) throw new Error(`scheduled delivery ${delivery.key}: body is not JSON`);
      const stored: StoredDelivery = { key: delivery.key, at: delivery.at, queue: delivery.queue, body };
      checkDelivery(stored);
      await ns.get(ns.idFromName(name)).scheduleDelivery(stored);
    },
  };
}
