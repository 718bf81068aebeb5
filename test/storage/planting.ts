// Test helpers that put an earlier build's tables and rows into a Durable Object, make the runtime
// construct it again with the current code, and describe its SQLite (tables, indexes, rows).

import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { expect } from "vitest";
import { type StoreSchema, storeVersions } from "../../src/storage/migrations";

/** Values for the fixtures' {{placeholders}}. */
export type Placeholders = Record<string, string | number>;

/** `sql` with every {{name}} replaced; an unknown placeholder throws, so none is left unfilled. */
export function fill(sql: string, values: Placeholders): string {
  return sql.replace(/\{\{([a-z_]+)\}\}/g, (_, name: string) => {
    const v = values[name];
    if (v === undefined) throw new Error(`fixture placeholder {{${name}}} has no value`);
    return String(v);
  });
}

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** The object's own tables: neither SQLite's nor the runtime's (`_cf_*`). */
export function userTables(sql: SqlStorage): string[] {
  return sql
    .exec(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name NOT LIKE '\\_cf\\_%' ESCAPE '\\' ORDER BY name",
    )
    .toArray()
    .map((r) => r.name as string);
}

function columnsOf(sql: SqlStorage, table: string): string[] {
  return sql
    .exec("SELECT name FROM pragma_table_info(?)", table)
    .toArray()
    .map((r) => r.name as string);
}

/** Every table's columns and indexes, as SQLite reports them (not the DDL text, which ALTER rewrites). */
export function schemaShape(sql: SqlStorage): Record<string, unknown> {
  const shape: Record<string, unknown> = {};
  for (const table of userTables(sql)) {
    const columns = sql.exec('SELECT name, type, "notnull" AS not_null, dflt_value, pk FROM pragma_table_info(?)', table).toArray();
    const indexes = sql
      .exec('SELECT name, "unique" AS is_unique, origin, partial FROM pragma_index_list(?) ORDER BY name', table)
      .toArray()
      .map((i) => ({
        ...i,
        columns: sql
          .exec("SELECT name FROM pragma_index_info(?) ORDER BY seqno", i.name as string)
          .toArray()
          .map((c) => c.name),
        sql: sql.exec("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?", i.name as string).toArray()[0]?.sql ?? null,
      }));
    shape[table] = { columns, indexes };
  }
  return shape;
}

/** Whether `table` is a WITHOUT ROWID table (its rows live in its primary key, with no rowid). */
export function withoutRowid(sql: SqlStorage, table: string): boolean {
  const r = sql.exec("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", table).toArray()[0];
  return typeof r?.sql === "string" && /WITHOUT\s+ROWID\s*$/i.test(r.sql);
}

/**
 * A table's rows with their rowid, in rowid order, limited to `columns` (default: all); a WITHOUT
 * ROWID table's rows have no `_rowid` and come in primary-key order.
 */
export function tableRows(sql: SqlStorage, table: string, columns = columnsOf(sql, table)): Record<string, SqlStorageValue>[] {
  if (withoutRowid(sql, table)) return sql.exec(`SELECT ${columns.map(quote).join(", ")} FROM ${quote(table)} ORDER BY 1`).toArray();
  const list = ["rowid AS _rowid", ...columns.map(quote)].join(", ");
  return sql.exec(`SELECT ${list} FROM ${quote(table)} ORDER BY rowid`).toArray();
}

/**
 * What an object holds: schema versions (its `_schema` rows, and the version the tables of each of
 * `stores` without a row imply), row counts and schema shape. Equal before and after a re-open
 * means it changed nothing.
 */
export function holdings(sql: SqlStorage, stores: readonly StoreSchema[] = []) {
  const counts = Object.fromEntries(userTables(sql).map((t) => [t, sql.exec(`SELECT count(*) AS n FROM ${quote(t)}`).one().n as number]));
  const rows: Record<string, SqlStorageValue> = userTables(sql).includes("_schema")
    ? Object.fromEntries(
        sql
          .exec("SELECT store, version FROM _schema")
          .toArray()
          .map((r) => [r.store, r.version]),
      )
    : {};
  const versions = { ...storeVersions(sql, stores), ...rows };
  return { versions, counts, shape: schemaShape(sql) };
}

/** Rows of each planted table (`_schema`, WITHOUT ROWID, is checked through its versions instead). */
export type Planted = Record<string, { columns: string[]; rows: Record<string, SqlStorageValue>[] }>;

/**
 * Makes `stub`'s storage hold exactly `statements` (an earlier build's tables and rows), then evicts
 * the instance. The object is first constructed by the current code, whose own tables are dropped:
 * the test checks nothing of them is left before the fixture is written.
 */
export async function plant(stub: DurableObjectStub, statements: string): Promise<Planted> {
  const planted = await runInDurableObject(stub, (_obj, state) => {
    const sql = state.storage.sql;
    for (const table of userTables(sql)) sql.exec(`DROP TABLE ${quote(table)}`);
    expect(userTables(sql)).toEqual([]);
    expect(sql.exec("SELECT count(*) AS n FROM sqlite_master WHERE type = 'index' AND name NOT LIKE '\\_cf\\_%' ESCAPE '\\'").one().n).toBe(
      0,
    );
    if (sql.exec("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'").toArray().length > 0) {
      expect(sql.exec("SELECT count(*) AS n FROM sqlite_sequence").one().n).toBe(0);
    }
    sql.exec(statements);
    const out: Planted = {};
    for (const table of userTables(sql)) {
      if (table === "_schema") continue;
      out[table] = { columns: columnsOf(sql, table), rows: tableRows(sql, table) };
    }
    return out;
  });
  // The instance goes; the storage stays. The next request constructs the class again, as the
  // runtime does after a deploy, so the constructor's migration runs on the planted storage.
  await evictDurableObject(stub);
  return planted;
}

/**
 * Rows of the planted tables now, limited to the columns both have; and the planted columns that
 * are gone (all of a table that is gone, whose rows a later step moved elsewhere: the caller checks
 * where they went).
 */
export function keptRows(sql: SqlStorage, planted: Planted) {
  const now: Record<string, Record<string, SqlStorageValue>[]> = {};
  const then: Record<string, Record<string, SqlStorageValue>[]> = {};
  const dropped: Record<string, string[]> = {};
  for (const [table, p] of Object.entries(planted)) {
    const current = new Set(columnsOf(sql, table));
    const kept = p.columns.filter((c) => current.has(c));
    const gone = p.columns.filter((c) => !current.has(c));
    if (gone.length > 0) dropped[table] = gone;
    if (current.size === 0) continue;
    // A table rebuilt WITHOUT ROWID keeps every row but not its rowid: compared by content, both
    // sides in the same order (that of their JSON).
    const keyed = current.size > 0 && withoutRowid(sql, table);
    const byContent = (rows: Record<string, SqlStorageValue>[]) =>
      keyed
        ? rows
            .map((r) => [JSON.stringify(r), r] as const)
            .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
            .map(([, r]) => r)
        : rows;
    now[table] = byContent(tableRows(sql, table, kept));
    then[table] = byContent(p.rows.map((r) => Object.fromEntries([...(keyed ? [] : ["_rowid"]), ...kept].map((c) => [c, r[c] ?? null]))));
  }
  return { now, then, dropped };
}
