// Where the test Redis and Postgres are, and per-test-file isolation on them: a fresh, migrated
// Postgres schema in database `test`, and a unique Redis key prefix. Node only. global-setup.ts
// chooses the Postgres (a server, or the embedded one) and publishes it in the environment.
import { randomBytes } from "node:crypto";
import pg from "pg";
import { applyMigrations } from "../../scripts/migrations";

/** Postgres server tried when neither TEST_DATABASE_URL nor TEST_POSTGRES says otherwise. */
export const DEFAULT_ADMIN_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/postgres";

/**
 * Postgres database the Node tests use (schemas inside it are per test file): TEST_DATABASE_URL,
 * default database `test` on the local server. Read at call time: global-setup may set it.
 */
export function testDatabaseUrl(): string {
  return process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
}

/** A database on the same server to connect to while creating others (TEST_ADMIN_DATABASE_URL). */
export function testAdminDatabaseUrl(): string {
  return process.env.TEST_ADMIN_DATABASE_URL ?? DEFAULT_ADMIN_DATABASE_URL;
}

/** Whether the tests run on the embedded Postgres, which has one database whatever the name. */
export function embeddedPostgres(): boolean {
  return process.env.TEST_POSTGRES_EMBEDDED === "1";
}

/** Redis the gateways talk to (TEST_REDIS_URL, default the local server). */
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

/** A short random suffix for schema names, key prefixes and tenant ids. */
export function uniqueSuffix(): string {
  return randomBytes(5).toString("hex");
}

/** A Redis key prefix no other test run uses. */
export function uniqueKeyPrefix(label: string): string {
  return `edgecrew-test:${label}:${uniqueSuffix()}:`;
}

/** A Postgres schema owned by one test file. */
export interface TestSchema {
  schema: string;
  databaseUrl: string;
  /** Runs SQL in the schema (search_path set), for setup and sabotage. */
  sql(text: string): Promise<void>;
  /** Drops the schema and everything in it. */
  drop(): Promise<void>;
}

/**
 * Creates an empty schema `edgecrew_<label>_<random>` in `databaseUrl` (default the `test`
 * database); `migrate` also applies migrations/.
 */
export async function createTestSchema(label: string, migrate = true, databaseUrl = testDatabaseUrl()): Promise<TestSchema> {
  const schema = `edgecrew_${label}_${uniqueSuffix()}`;
  const run = async (text: string) => {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      await client.query(`set search_path to "${schema}"`);
      await client.query(text);
    } finally {
      await client.end();
    }
  };
  if (migrate) await applyMigrations({ databaseUrl, schema });
  else await run(`create schema "${schema}"`);
  return {
    schema,
    databaseUrl,
    sql: run,
    drop: () => run(`drop schema if exists "${schema}" cascade`),
  };
}

/**
 * Creates database `name` on the server of `adminUrl` unless it exists (safe under races) and
 * returns its URL. The embedded Postgres has one database: its URL is returned as it is.
 */
export async function ensureDatabase(adminUrl: string, name: string): Promise<string> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`invalid database name: ${name}`);
  if (embeddedPostgres()) return adminUrl;
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const found = await client.query("select 1 from pg_database where datname = $1", [name]);
    if (found.rowCount === 0) {
      try {
        await client.query(`create database "${name}"`);
      } catch (err) {
        // Another test run created it between our check and create: that is fine.
        const code = (err as { code?: string }).code;
        if (code !== "42P04" && code !== "23505") throw err;
      }
    }
  } finally {
    await client.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}
