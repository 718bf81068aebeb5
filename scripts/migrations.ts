// Applies migrations/*.sql in order to a Postgres database and records their versions in
// schema_migrations. Used by `scripts/migrate.ts` (npm run migrate) and by the test setup.
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";

/** Default folder of the numbered SQL files (`NNNN_name.sql`). */
export const MIGRATIONS_DIR = fileURLToPath(new URL("../migrations/", import.meta.url));

// Serializes concurrent migrators on one database (two test runs, two deploys).
const ADVISORY_LOCK_KEY = 720_410_001;
const FILE_PATTERN = /^(\d{4})_([a-z0-9_]+)\.sql$/;
const SCHEMA_PATTERN = /^[a-z_][a-z0-9_]{0,62}$/;

/** One numbered SQL file of migrations/. */
export interface MigrationFile {
  version: number;
  name: string;
  path: string;
}

/** Where and how applyMigrations runs. */
export interface MigrateOptions {
  /** postgres:// connection string. */
  databaseUrl: string;
  /** Schema the objects are created in (created if absent). Default `public`. */
  schema?: string;
  /** Folder of the SQL files. Default `migrations/` at the repo root. */
  dir?: string;
  /** Progress lines (file names and versions, never the connection string). */
  log?: (line: string) => void;
}

/** The numbered migration files of `dir`, in version order. */
export async function listMigrations(dir: string = MIGRATIONS_DIR): Promise<MigrationFile[]> {
  const files: MigrationFile[] = [];
  for (const entry of await readdir(dir)) {
    const match = FILE_PATTERN.exec(entry);
    if (!match) continue;
    files.push({ version: Number(match[1]), name: match[2] ?? entry, path: join(dir, entry) });
  }
  files.sort((a, b) => a.version - b.version);
  return files;
}

/**
 * Runs every migration file in order, each in its own transaction. All files are re-runnable and
 * convergent, so every file runs each time (which repairs a dropped column); versions are recorded
 * in `schema_migrations`. Returns the versions applied and the latest one.
 */
export async function applyMigrations(options: MigrateOptions): Promise<{ applied: number[]; latest: number }> {
  const schema = options.schema ?? "public";
  if (!SCHEMA_PATTERN.test(schema)) throw new Error(`invalid schema name: ${schema}`);
  const files = await listMigrations(options.dir);
  if (files.length === 0) throw new Error(`no migration files in ${options.dir ?? MIGRATIONS_DIR}`);
  const log = options.log ?? (() => {});
  const client = new pg.Client({ connectionString: options.databaseUrl });
  await client.connect();
  try {
    await client.query("select pg_advisory_lock($1)", [ADVISORY_LOCK_KEY]);
    await client.query(`create schema if not exists "${schema}"`);
    // Functions capture this with `set search_path from current`.
    await client.query(`set search_path to "${schema}"`);
    const applied: number[] = [];
    for (const file of files) {
      const sql = await readFile(file.path, "utf8");
      await client.query("begin");
      try {
        await client.query(sql);
        await client.query("insert into schema_migrations (version, name) values ($1, $2) on conflict (version) do nothing", [
          file.version,
          file.name,
        ]);
        await client.query("commit");
      } catch (err) {
        await client.query("rollback");
        const reason = err instanceof Error ? err.message : String(err);
        throw new Error(`migration ${file.version} (${file.name}) failed: ${reason}`, { cause: err });
      }
      applied.push(file.version);
      log(`applied ${String(file.version).padStart(4, "0")}_${file.name}.sql to schema ${schema}`);
    }
    // PostgREST (Supabase's REST layer) caches the schema: ask it to see the new functions.
    await client.query("notify pgrst, 'reload schema'");
    return { applied, latest: files[files.length - 1]?.version ?? 0 };
  } finally {
    await client.end();
  }
}
