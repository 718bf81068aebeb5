// Schema migrations for the SQLite of every Durable Object: each store owns numbered steps, the
// version each store has reached is kept in the object's `_schema` table (or told by a table of its
// own, `implied`), and the steps an object lacks are applied, all in one transaction, when the
// object starts.

import { log } from "../ops/log";

/**
 * One migration step: SQL run as it is (one or more statements), or a function for what plain SQL
 * cannot say, such as adding a column only when an earlier build did not create it.
 */
export type MigrationStep = string | ((sql: SqlStorage) => void);

/**
 * A store's schema history. `store` names it in `_schema` and must be unique within an object;
 * step n (1-based) brings the store to version n. A released step is never edited: a change of
 * schema is a new step appended at the end.
 */
export interface StoreSchema {
  readonly store: string;
  readonly steps: readonly MigrationStep[];
  /**
   * The schema the steps end at, created in one go: used instead of the steps for an object that
   * has no tables at all yet (a new object), so it does not create and drop what later steps
   * replace. Must leave the same tables and indexes as the steps do (test/storage checks it).
   */
  readonly fresh?: string;
  /**
   * A version the store's tables tell by themselves, so that it needs no version row: an object
   * that has `table` and no row for this store in `_schema` is at `version`. `table` must be one
   * that no earlier version had. An object that reaches `version` keeps no row for the store (and
   * no `_schema` table when no other store needs one), which spares a new object the three rows
   * the version table and its row cost. Never change it once released: objects rely on it. A
   * later step means a version row again for every object that reaches it.
   */
  readonly implied?: { readonly table: string; readonly version: number };
}

/** What the runner needs of `ctx.storage`. */
export type MigrationStorage = Pick<DurableObjectStorage, "sql" | "transactionSync">;

/** What `migrate` did to one store. `from === to` when the store was already current. */
export interface MigrationResult {
  store: string;
  from: number;
  to: number;
}

/** Thrown when an object cannot be brought to this build's schema; the object must not serve. */
export class SchemaError extends Error {
  override name = "SchemaError";
}

// One row per store. WITHOUT ROWID: the primary key is the table itself, so writing a version
// costs one row, not a row and an index entry.
const VERSION_TABLE = "CREATE TABLE IF NOT EXISTS _schema (store TEXT PRIMARY KEY, version INTEGER NOT NULL) WITHOUT ROWID";

/**
 * Brings every store of an object to the last of its steps. Call it from the object's constructor,
 * before any store is used: it is synchronous, so no request is served before it returns.
 *
 * All pending steps of all `stores` run in one transaction (`transactionSync`) with the version
 * rows, in the order given: either the object reaches this build's schema, or it is left exactly
 * as the previous build wrote it (so that build can still open it) and the error is thrown.
 * A store whose recorded version is newer than its steps is refused before anything is written.
 *
 * Cost: an object already current reads `_schema` and writes nothing; otherwise one version row
 * per store that moved (written once, however many of its steps were applied), plus what its
 * steps write, except for a store that reaches its `implied` version, which writes none.
 */
export function migrate(storage: MigrationStorage, stores: readonly StoreSchema[], tables = userTables(storage.sql)): MigrationResult[] {
  const names = new Set<string>();
  for (const s of stores) {
    if (names.has(s.store)) throw new SchemaError(`store "${s.store}" is listed twice in one object`);
    names.add(s.store);
  }
  const sql = storage.sql;
  // `tables`: one read of what the object has; a new object has no table of its own.
  const brandNew = tables.size === 0;
  const known = storeVersions(sql, stores, tables);

  const plan = stores.map((s) => ({ schema: s, from: known[s.store]!, to: s.steps.length }));
  for (const p of plan) {
    if (p.from > p.to) {
      throw new SchemaError(
        `store "${p.schema.store}" is at schema version ${p.from} but this build knows only ${p.to}: ` +
          "a newer build wrote this object, so it is not opened (deploy that build or a later one)",
      );
    }
  }
  const pending = plan.filter((p) => p.from < p.to);
  if (pending.length === 0) return plan.map(({ schema, from, to }) => ({ store: schema.store, from, to }));

  storage.transactionSync(() => {
    let versionTable = tables.has("_schema");
    for (const p of pending) {
      const inOneGo = brandNew && p.schema.fresh !== undefined;
      if (inOneGo) sql.exec(p.schema.fresh!);
      else {
        // Released steps may read or write `_schema` (the journal's step 5 does).
        sql.exec(VERSION_TABLE);
        versionTable = true;
      }
      for (let n = inOneGo ? p.to + 1 : p.from + 1; n <= p.to; n++) {
        const step = p.schema.steps[n - 1]!;
        try {
          if (typeof step === "string") sql.exec(step);
          else step(sql);
        } catch (e) {
          const reason = e instanceof Error ? e.message : String(e);
          throw new SchemaError(`store "${p.schema.store}": migration step ${n} failed, nothing was changed: ${reason}`, { cause: e });
        }
      }
      versionTable = recordVersion(sql, p.schema, p.to, versionTable);
    }
  });
  for (const p of pending) {
    // A new object starts at 0 on every store; anything else is an upgrade worth a line in the log.
    if (p.from > 0) log.info("schema.upgraded", "schema upgraded", { store: p.schema.store, from: p.from, to: p.to });
  }
  return plan.map(({ schema, from, to }) => ({ store: schema.store, from, to }));
}

/** Whether the object has a table named `name`. */
export const hasTable = (sql: SqlStorage, name: string): boolean =>
  sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", name).toArray().length > 0;

/**
 * For an object with no table of its own yet (`tables`, as `userTables` read them), the creation
 * of `store`'s schema, to run in the transaction of the object's first write: the same tables
 * `migrate` would create now, so an object only ever read writes nothing, and a new object's
 * tables cost no commit of their own. Null when the object has tables (migrate it), or when the
 * store's schema cannot be created in one go without a version row (no `fresh`, or an `implied`
 * version short of its last step).
 */
export function deferredCreation(sql: SqlStorage, store: StoreSchema, tables: ReadonlySet<string>): (() => void) | null {
  const fresh = store.fresh;
  if (tables.size > 0 || fresh === undefined || store.implied?.version !== store.steps.length) return null;
  return () => {
    sql.exec(fresh);
  };
}

/** The names of an object's own tables (not SQLite's nor the runtime's). */
export function userTables(sql: SqlStorage): Set<string> {
  const names = sql
    .exec(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name NOT LIKE '\\_cf\\_%' ESCAPE '\\'",
    )
    .toArray();
  return new Set(names.map((r) => r.name as string));
}

/**
 * The version each of `stores` is at in this object: its `_schema` row, else its `implied` one,
 * else 0. `tables` are the object's tables, when the caller has read them already.
 */
export function storeVersions(sql: SqlStorage, stores: readonly StoreSchema[], tables = userTables(sql)): Record<string, number> {
  const rows = new Map<string, number>();
  if (tables.has("_schema"))
    for (const r of sql.exec("SELECT store, version FROM _schema")) rows.set(r.store as string, r.version as number);
  const out: Record<string, number> = {};
  for (const s of stores) {
    const implied = s.implied && tables.has(s.implied.table) ? s.implied.version : 0;
    out[s.store] = rows.get(s.store) ?? implied;
  }
  return out;
}

/**
 * Writes that `schema` is at `version`: a `_schema` row, or none when its tables imply it.
 * `versionTable` says whether `_schema` exists; returns whether it does afterwards.
 */
function recordVersion(sql: SqlStorage, schema: StoreSchema, version: number, versionTable: boolean): boolean {
  if (schema.implied?.version === version) {
    if (!hasTable(sql, schema.implied.table)) {
      throw new SchemaError(
        `store "${schema.store}": version ${version} is said to be implied by table ${schema.implied.table}, which its steps did not create`,
      );
    }
    if (!versionTable) return false;
    sql.exec("DELETE FROM _schema WHERE store = ?", schema.store);
    if ((sql.exec("SELECT count(*) AS n FROM _schema").one().n as number) > 0) return true;
    sql.exec("DROP TABLE _schema");
    return false;
  }
  sql.exec(VERSION_TABLE);
  sql.exec(
    "INSERT INTO _schema (store, version) VALUES (?, ?) ON CONFLICT (store) DO UPDATE SET version = excluded.version",
    schema.store,
    version,
  );
  return true;
}

/** The column names of `table` (empty when the table does not exist). */
export function columnNames(sql: SqlStorage, table: string): Set<string> {
  return new Set(
    sql
      .exec("SELECT name FROM pragma_table_info(?)", table)
      .toArray()
      .map((r) => r.name as string),
  );
}

/**
 * Adds each column of `columns` (name → definition, e.g. `"INTEGER NOT NULL DEFAULT 0"`) that
 * `table` lacks; SQLite has no `ADD COLUMN IF NOT EXISTS`. Returns the names added, in order.
 */
export function addMissingColumns(sql: SqlStorage, table: string, columns: Readonly<Record<string, string>>): string[] {
  const have = columnNames(sql, table);
  if (have.size === 0) throw new SchemaError(`cannot add columns to ${table}: the table does not exist`);
  const added: string[] = [];
  for (const [name, definition] of Object.entries(columns)) {
    if (have.has(name)) continue;
    sql.exec(`ALTER TABLE ${table} ADD COLUMN ${name} ${definition}`);
    added.push(name);
  }
  return added;
}
