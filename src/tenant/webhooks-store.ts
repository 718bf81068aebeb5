// The tenant's webhook subscription and the delivery state of each domain event to each target
// (the tenant webhook and a run's own `webhook_url`).

import { newSigningSecret } from "../domain/signature";
import { addMissingColumns, type StoreSchema } from "../storage/migrations";

export interface Webhook {
  url: string;
  /** Event types delivered (`run.*` style prefixes allowed). */
  events: string[];
  /** Topics delivered. An event is delivered when it matches either list; both empty means every event. */
  topics: string[];
}

export type DeliveryStatus = "pending" | "delivered" | "failed";
export type DeliveryTarget = "tenant" | "run";

/** What the events consumer is to do with one delivery message (see TenantObject.deliveryFor). */
export type DeliveryAssignment =
  | { status: "deliver"; url: string; body: string; attempts: number; secret: string }
  | { status: "busy" }
  | { status: "done" };

export interface Delivery {
  target: DeliveryTarget;
  url: string;
  status: DeliveryStatus;
  attempts: number;
  last_status: number | null;
  last_error: string | null;
  delivered_at: string | null;
}

/**
 * The subscription and delivery tables, by schema step (src/storage/migrations.ts); released steps
 * are never edited. The signing secret lives in MEMORY_SCHEMA's `settings`.
 */
export const WEBHOOKS_SCHEMA: StoreSchema = {
  store: "webhooks",
  steps: [
    `CREATE TABLE IF NOT EXISTS webhook (id INTEGER PRIMARY KEY CHECK (id = 1), url TEXT NOT NULL, events TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS deliveries (event_id TEXT NOT NULL, target TEXT NOT NULL, url TEXT NOT NULL,
        status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, last_status INTEGER, last_error TEXT,
        delivered_at INTEGER, enqueued INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (event_id, target));
      CREATE INDEX IF NOT EXISTS deliveries_unsent ON deliveries (enqueued) WHERE enqueued = 0;`,
    // Topics the subscription wants beside its event types; an existing subscription wants none more.
    (sql) => void addMissingColumns(sql, "webhook", { topics: "TEXT NOT NULL DEFAULT '[]'" }),
  ],
};

/**
 * The tenant's webhook subscription and its deliveries. The subscription is kept in memory once
 * read or set: the owner calls `forgetCached` when a transaction rolls back (storage/transactions.ts).
 */
export class WebhooksStore {
  /** Deliveries may be waiting for the events queue (unknown when the object starts). */
  private maybeUnsent = true;
  /** The subscription as read or set by this instance (null: none); undefined: not known. */
  private hook: Webhook | null | undefined;
  /** Opens the tables of a storage already migrated to WEBHOOKS_SCHEMA and MEMORY_SCHEMA. */
  constructor(private readonly sql: SqlStorage) {}

  webhook(): Webhook | null {
    if (this.hook === undefined) {
      const r = this.sql.exec("SELECT url, events, topics FROM webhook WHERE id = 1").toArray()[0];
      this.hook = r
        ? { url: r.url as string, events: JSON.parse(r.events as string) as string[], topics: JSON.parse(r.topics as string) as string[] }
        : null;
    }
    return this.hook && { ...this.hook, events: [...this.hook.events], topics: [...this.hook.topics] };
  }

  /** Forgets the subscription kept in memory (a transaction that set it rolled back). */
  forgetCached(): void {
    this.hook = undefined;
  }

  /** Sets the subscription and rotates the signing secret, which is returned (shown once). */
  setWebhook(w: Webhook): string {
    this.sql.exec(
      "INSERT OR REPLACE INTO webhook (id, url, events, topics) VALUES (1, ?, ?, ?)",
      w.url,
      JSON.stringify(w.events),
      JSON.stringify(w.topics),
    );
    const secret = newSigningSecret();
    this.sql.exec("INSERT OR REPLACE INTO settings (name, value) VALUES ('signing_secret', ?)", secret);
    this.hook = { url: w.url, events: [...w.events], topics: [...w.topics] };
    return secret;
  }

  /** Whether the subscription wants an event: its type is listed (`run.*` style prefixes allowed) or its topic is. */
  static wants(w: Webhook, e: { type: string; topic: string }): boolean {
    if (w.events.length === 0 && w.topics.length === 0) return true;
    if (w.topics.includes(e.topic)) return true;
    return w.events.some((t) => t === e.type || (t.endsWith(".*") && e.type.startsWith(t.slice(0, -1))));
  }

  addDelivery(eventId: string, target: DeliveryTarget, url: string): void {
    this.sql.exec("INSERT OR IGNORE INTO deliveries (event_id, target, url, status) VALUES (?, ?, ?, 'pending')", eventId, target, url);
    this.maybeUnsent = true;
  }

  /**
   * Deliveries not yet handed to the events queue. Once a read found none, none is read again
   * until a delivery is added (this object is the table's only writer; one added by a transaction
   * that rolled back costs one read that finds nothing).
   */
  unsent(limit: number): { event_id: string; target: DeliveryTarget }[] {
    if (!this.maybeUnsent) return [];
    const rows = this.sql
      .exec("SELECT event_id, target FROM deliveries WHERE enqueued = 0 LIMIT ?", limit)
      .toArray()
      .map((r) => ({ event_id: r.event_id as string, target: r.target as DeliveryTarget }));
    if (rows.length === 0) this.maybeUnsent = false;
    return rows;
  }

  markEnqueued(items: { event_id: string; target: DeliveryTarget }[]): void {
    for (const i of items) this.sql.exec("UPDATE deliveries SET enqueued = 1 WHERE event_id = ? AND target = ?", i.event_id, i.target);
  }

  delivery(eventId: string, target: DeliveryTarget): (Delivery & { event_id: string }) | null {
    const r = this.sql.exec("SELECT * FROM deliveries WHERE event_id = ? AND target = ?", eventId, target).toArray()[0];
    return r ? { ...this.row(r), event_id: eventId } : null;
  }

  deliveriesOf(eventIds: string[]): Map<string, Delivery[]> {
    const out = new Map<string, Delivery[]>();
    if (eventIds.length === 0) return out;
    const rows = this.sql.exec(`SELECT * FROM deliveries WHERE event_id IN (${eventIds.map(() => "?").join(",")})`, ...eventIds).toArray();
    for (const r of rows) {
      const id = r.event_id as string;
      out.set(id, [...(out.get(id) ?? []), this.row(r)]);
    }
    return out;
  }

  /** Records one delivery attempt; `final` marks an undeliverable event as failed. */
  recordAttempt(
    eventId: string,
    target: DeliveryTarget,
    r: { ok: boolean; status: number | null; error: string | null; final: boolean },
    now: number,
  ): void {
    const status: DeliveryStatus = r.ok ? "delivered" : r.final ? "failed" : "pending";
    this.sql.exec(
      `UPDATE deliveries SET attempts = attempts + 1, status = ?, last_status = ?, last_error = ?, delivered_at = ?
       WHERE event_id = ? AND target = ? AND status = 'pending'`,
      status,
      r.status,
      r.error,
      r.ok ? now : null,
      eventId,
      target,
    );
  }

  private row(r: Record<string, SqlStorageValue>): Delivery {
    return {
      target: r.target as DeliveryTarget,
      url: r.url as string,
      status: r.status as DeliveryStatus,
      attempts: r.attempts as number,
      last_status: (r.last_status as number | null) ?? null,
      last_error: (r.last_error as string | null) ?? null,
      delivered_at: typeof r.delivered_at === "number" ? new Date(r.delivered_at).toISOString() : null,
    };
  }
}
