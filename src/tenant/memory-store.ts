// Agent memory (per tenant and agent, persistent across runs) and the tenant's signing secret
// for webhooks and HTTP tools, in the tenant's SQLite.

import { newSigningSecret, standardSecret } from "../domain/signature";
import type { StoreSchema } from "../storage/migrations";

/** Largest memory value (16 KB, serialised). */
export const MAX_MEMORY_VALUE_BYTES = 16 * 1024;

/**
 * Memory and settings tables, by schema step (src/storage/migrations.ts); released steps are never
 * edited. `settings` is shared: the webhooks store rotates the signing secret in it.
 */
export const MEMORY_SCHEMA: StoreSchema = {
  store: "memory",
  steps: [
    `CREATE TABLE IF NOT EXISTS memory (agent TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
      updated_at INTEGER NOT NULL, PRIMARY KEY (agent, key));
      CREATE TABLE IF NOT EXISTS settings (name TEXT PRIMARY KEY, value TEXT NOT NULL);`,
  ],
};

export class MemoryStore {
  /** Opens the tables of a storage already migrated to MEMORY_SCHEMA. */
  constructor(private readonly sql: SqlStorage) {}

  get(agent: string, key: string): unknown {
    const r = this.sql.exec("SELECT value FROM memory WHERE agent = ? AND key = ?", agent, key).toArray()[0];
    return r ? (JSON.parse(r.value as string) as unknown) : null;
  }

  set(agent: string, key: string, value: unknown, now: number): void {
    this.sql.exec(
      "INSERT OR REPLACE INTO memory (agent, key, value, updated_at) VALUES (?, ?, ?, ?)",
      agent,
      key,
      JSON.stringify(value),
      now,
    );
  }

  /**
   * The tenant's secret for signing webhooks and HTTP tool calls, created on first use. A secret
   * stored in the URL-safe alphabet of earlier versions is rewritten once in the standard one
   * (same key bytes, so receivers holding the old string keep verifying).
   */
  signingSecret(): string {
    const r = this.sql.exec("SELECT value FROM settings WHERE name = 'signing_secret'").toArray()[0];
    if (r) {
      const stored = r.value as string;
      const standard = standardSecret(stored);
      if (standard !== stored) this.sql.exec("UPDATE settings SET value = ? WHERE name = 'signing_secret'", standard);
      return standard;
    }
    const secret = newSigningSecret();
    this.sql.exec("INSERT INTO settings (name, value) VALUES ('signing_secret', ?)", secret);
    return secret;
  }
}
