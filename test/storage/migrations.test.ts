// The migration runner on a real Durable Object's SQLite: steps applied in order and once, a
// failing step changing nothing, a schema newer than the build refused, and what versions cost.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { JOURNAL_SCHEMA } from "../../src/run/journal-schema";
import {
  addMissingColumns,
  deferredCreation,
  type MigrationStep,
  type MigrationStorage,
  migrate,
  SchemaError,
  type StoreSchema,
  storeVersions,
  userTables,
} from "../../src/storage/migrations";

/** Runs `fn` on the storage of a new object of its own (a metrics shard nobody else uses). */
function inFreshObject<R>(fn: (storage: DurableObjectStorage) => R): Promise<R> {
  const stub = env.METRICS.get(env.METRICS.idFromName(`migrations-${crypto.randomUUID()}`));
  return runInDurableObject(stub, (_obj, state) => fn(state.storage));
}

/** Like inFreshObject, with the object's own tables dropped first: storage as a new object has it. */
function inEmptyObject<R>(fn: (storage: DurableObjectStorage) => R): Promise<R> {
  return inFreshObject((storage) => {
    for (const r of storage.sql
      .exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_cf\\_%' ESCAPE '\\'")
      .toArray()) {
      storage.sql.exec(`DROP TABLE "${r.name as string}"`);
    }
    return fn(storage);
  });
}

const version = (sql: SqlStorage, store: string) =>
  (sql.exec("SELECT version FROM _schema WHERE store = ?", store).toArray()[0]?.version as number | undefined) ?? 0;
const tableExists = (sql: SqlStorage, name: string) => sql.exec("SELECT 1 FROM sqlite_master WHERE name = ?", name).toArray().length > 0;
const log = (sql: SqlStorage) =>
  sql
    .exec("SELECT what FROM steps_log ORDER BY rowid")
    .toArray()
    .map((r) => r.what);

/** A store whose steps append to a log, so the order and number of applications are visible. */
const LOGGED_STEPS: MigrationStep[] = [
  "CREATE TABLE steps_log (what TEXT NOT NULL); INSERT INTO steps_log VALUES ('step 1')",
  "INSERT INTO steps_log VALUES ('step 2')",
  (sql) => void sql.exec("INSERT INTO steps_log VALUES ('step 3')"),
  "INSERT INTO steps_log VALUES ('step 4')",
];
const logged = (n: number): StoreSchema => ({ store: "logged", steps: LOGGED_STEPS.slice(0, n) });

/** `storage` with every row written through it counted (cursors are drained to read their count). */
function counting(storage: DurableObjectStorage): { storage: MigrationStorage; rows: () => number } {
  const cursors: SqlStorageCursor<Record<string, SqlStorageValue>>[] = [];
  const sql = Object.create(storage.sql) as SqlStorage;
  sql.exec = ((query: string, ...params: SqlStorageValue[]) => {
    const cursor = storage.sql.exec(query, ...params);
    cursors.push(cursor);
    return cursor;
  }) as SqlStorage["exec"];
  const rows = () => {
    let n = 0;
    for (const c of cursors) {
      c.toArray();
      n += c.rowsWritten;
    }
    return n;
  };
  return { storage: { sql, transactionSync: (fn) => storage.transactionSync(fn) }, rows };
}

describe("migration runner", () => {
  it("applies a new object's steps in order, then nothing on the next open; a later build applies only its new step", async () => {
    await inFreshObject((storage) => {
      expect(migrate(storage, [logged(3)])).toEqual([{ store: "logged", from: 0, to: 3 }]);
      expect(log(storage.sql)).toEqual(["step 1", "step 2", "step 3"]);
      expect(version(storage.sql, "logged")).toBe(3);

      expect(migrate(storage, [logged(3)])).toEqual([{ store: "logged", from: 3, to: 3 }]);
      expect(log(storage.sql)).toEqual(["step 1", "step 2", "step 3"]);

      expect(migrate(storage, [logged(4)])).toEqual([{ store: "logged", from: 3, to: 4 }]);
      expect(log(storage.sql)).toEqual(["step 1", "step 2", "step 3", "step 4"]);
      expect(version(storage.sql, "logged")).toBe(4);
    });
  });

  it("keeps one version per store: stores of one object move independently", async () => {
    await inFreshObject((storage) => {
      const other: StoreSchema = { store: "other", steps: ["CREATE TABLE other_t (x INTEGER)"] };
      migrate(storage, [logged(2), other]);
      migrate(storage, [logged(3), other]);
      expect(version(storage.sql, "logged")).toBe(3);
      expect(version(storage.sql, "other")).toBe(1);
    });
  });

  it("a failing step rolls back every pending step and leaves the version where it was", async () => {
    await inFreshObject((storage) => {
      migrate(storage, [logged(1)]);
      const failing: StoreSchema = {
        store: "logged",
        steps: [
          ...logged(1).steps,
          "CREATE TABLE made_by_step_2 (x INTEGER); INSERT INTO steps_log VALUES ('step 2')",
          () => {
            throw new Error("disk on fire");
          },
        ],
      };
      expect(() => migrate(storage, [failing])).toThrow(/store "logged": migration step 3 failed, nothing was changed: disk on fire/);
      expect(version(storage.sql, "logged")).toBe(1);
      expect(log(storage.sql)).toEqual(["step 1"]);
      expect(tableExists(storage.sql, "made_by_step_2")).toBe(false);

      // A step whose SQL SQLite rejects is the same: the error names the store and step.
      const badSql: StoreSchema = { store: "logged", steps: [...logged(1).steps, "ALTER TABLE no_such_table ADD COLUMN y TEXT"] };
      expect(() => migrate(storage, [badSql])).toThrow(SchemaError);
      expect(() => migrate(storage, [badSql])).toThrow(/step 2 failed.*no such table/);
      expect(version(storage.sql, "logged")).toBe(1);
    });
  });

  it("a failure in a later store also undoes the earlier stores migrated in the same call", async () => {
    await inFreshObject((storage) => {
      const broken: StoreSchema = { store: "broken", steps: ["SELECT * FROM missing_table"] };
      expect(() => migrate(storage, [logged(2), broken])).toThrow(/store "broken": migration step 1 failed/);
      expect(version(storage.sql, "logged")).toBe(0);
      expect(tableExists(storage.sql, "steps_log")).toBe(false);
    });
  });

  it("refuses, before writing anything, an object a newer build migrated further than this build knows", async () => {
    await inFreshObject((storage) => {
      migrate(storage, [logged(4)]);
      const unrelated: StoreSchema = { store: "unrelated", steps: ["CREATE TABLE unrelated_t (x INTEGER)"] };
      expect(() => migrate(storage, [unrelated, logged(2)])).toThrow(
        /store "logged" is at schema version 4 but this build knows only 2: a newer build wrote this object/,
      );
      expect(version(storage.sql, "logged")).toBe(4);
      expect(version(storage.sql, "unrelated")).toBe(0);
      expect(tableExists(storage.sql, "unrelated_t")).toBe(false);
    });
  });

  it("refuses a list naming one store twice", async () => {
    await inFreshObject((storage) => {
      expect(() => migrate(storage, [logged(1), logged(2)])).toThrow(/store "logged" is listed twice/);
      expect(tableExists(storage.sql, "steps_log")).toBe(false);
    });
  });

  it("costs one row per store on first open, whatever the number of steps, and no row when current", async () => {
    await inFreshObject((storage) => {
      const noWrites: StoreSchema = { store: "reads-only", steps: ["SELECT 1", "SELECT 2", "SELECT 3"] };
      const first = counting(storage);
      migrate(first.storage, [noWrites]);
      expect(first.rows()).toBe(1);

      const again = counting(storage);
      migrate(again.storage, [noWrites]);
      expect(again.rows()).toBe(0);

      // Three more steps in a later build: still one version row.
      const later = counting(storage);
      migrate(later.storage, [{ store: "reads-only", steps: [...noWrites.steps, "SELECT 4", "SELECT 5", "SELECT 6"] }]);
      expect(later.rows()).toBe(1);
      expect(version(storage.sql, "reads-only")).toBe(6);
    });
  });

  it("addMissingColumns adds only what a table lacks, and refuses a table that does not exist", async () => {
    await inFreshObject((storage) => {
      const sql = storage.sql;
      sql.exec("CREATE TABLE t (a TEXT NOT NULL, b INTEGER)");
      sql.exec("INSERT INTO t (a, b) VALUES ('kept', 7)");
      expect(addMissingColumns(sql, "t", { b: "INTEGER", c: "INTEGER NOT NULL DEFAULT 3", d: "TEXT" })).toEqual(["c", "d"]);
      expect(addMissingColumns(sql, "t", { c: "INTEGER NOT NULL DEFAULT 3" })).toEqual([]);
      expect(sql.exec("SELECT * FROM t").toArray()).toEqual([{ a: "kept", b: 7, c: 3, d: null }]);
      expect(() => addMissingColumns(sql, "absent", { x: "TEXT" })).toThrow(/cannot add columns to absent: the table does not exist/);
    });
  });

  describe("a version implied by a table", () => {
    const DATA = "CREATE TABLE data_v3 (x INTEGER)";
    // Steps 1-2 leave `old_t`; step 3 replaces it with `data_v3`, which no earlier version had.
    const steps: MigrationStep[] = [
      "CREATE TABLE old_t (x INTEGER)",
      "ALTER TABLE old_t ADD COLUMN y INTEGER",
      `${DATA}; DROP TABLE old_t`,
    ];
    const implied: StoreSchema = { store: "data", steps, fresh: DATA, implied: { table: "data_v3", version: 3 } };

    it("a new object writes its table and no version row: 2 rows instead of 5", async () => {
      await inEmptyObject((storage) => {
        const first = counting(storage);
        expect(migrate(first.storage, [implied])).toEqual([{ store: "data", from: 0, to: 3 }]);
        expect(first.rows()).toBe(2);
        expect(tableExists(storage.sql, "_schema")).toBe(false);
        expect(storeVersions(storage.sql, [implied])).toEqual({ data: 3 });

        const again = counting(storage);
        expect(migrate(again.storage, [implied])).toEqual([{ store: "data", from: 3, to: 3 }]);
        expect(again.rows()).toBe(0);

        // The same steps without `implied` (the build before it): 5 rows, a version row among them.
        storage.sql.exec("DROP TABLE data_v3");
        const without = counting(storage);
        migrate(without.storage, [{ ...implied, implied: undefined }]);
        expect(without.rows()).toBe(5);
        expect(version(storage.sql, "data")).toBe(3);
      });
    });

    it("a new object's creation can wait for its first write: the same tables and rows as the migration, and none for an object with tables", async () => {
      const shape = (sql: SqlStorage) =>
        sql.exec("SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE '\\_cf\\_%' ESCAPE '\\' ORDER BY name").toArray();
      await inEmptyObject((storage) => {
        const create = deferredCreation(storage.sql, implied, userTables(storage.sql));
        expect(create).not.toBeNull();
        // Nothing is written until it is called.
        expect(shape(storage.sql)).toEqual([]);
        const deferred = counting(storage);
        storage.transactionSync(() => deferredCreation(deferred.storage.sql, implied, new Set())!());
        const created = shape(storage.sql);
        expect(storeVersions(storage.sql, [implied])).toEqual({ data: 3 });
        // An object with a table is migrated as it stands, not created.
        expect(deferredCreation(storage.sql, implied, userTables(storage.sql))).toBeNull();

        storage.sql.exec("DROP TABLE data_v3");
        const migrated = counting(storage);
        migrate(migrated.storage, [implied]);
        expect(shape(storage.sql)).toEqual(created);
        expect(deferred.rows()).toBe(migrated.rows());
      });
      // A store that cannot be created in one go without a version row is migrated at once.
      await inEmptyObject((storage) => {
        const tables = userTables(storage.sql);
        expect(deferredCreation(storage.sql, { ...implied, fresh: undefined }, tables)).toBeNull();
        expect(deferredCreation(storage.sql, { ...implied, implied: undefined }, tables)).toBeNull();
        expect(deferredCreation(storage.sql, { ...implied, steps: [...steps, "SELECT 1"] }, tables)).toBeNull();
        expect(deferredCreation(storage.sql, JOURNAL_SCHEMA, tables)).not.toBeNull();
      });
    });

    it("an object that reaches the implied version drops its version row, and `_schema` once no store has one", async () => {
      await inEmptyObject((storage) => {
        const other: StoreSchema = { store: "other", steps: ["CREATE TABLE other_t (x INTEGER)"] };
        migrate(storage, [{ store: "data", steps: steps.slice(0, 2) }, other]);
        expect(version(storage.sql, "data")).toBe(2);

        expect(migrate(storage, [implied, other])).toEqual([
          { store: "data", from: 2, to: 3 },
          { store: "other", from: 1, to: 1 },
        ]);
        expect(storage.sql.exec("SELECT store, version FROM _schema").toArray()).toEqual([{ store: "other", version: 1 }]);
        expect(storeVersions(storage.sql, [implied, other])).toEqual({ data: 3, other: 1 });

        // Alone in its object (the run object's case), no `_schema` is left.
        storage.sql.exec("DROP TABLE data_v3; DROP TABLE other_t; DELETE FROM _schema");
        migrate(storage, [{ store: "data", steps: steps.slice(0, 2) }]);
        migrate(storage, [implied]);
        expect(tableExists(storage.sql, "_schema")).toBe(false);
        expect(tableExists(storage.sql, "data_v3")).toBe(true);
        expect(tableExists(storage.sql, "old_t")).toBe(false);
      });
    });

    it("an implied version whose table the steps do not create is refused, with nothing changed", async () => {
      await inEmptyObject((storage) => {
        const wrong: StoreSchema = { ...implied, fresh: undefined, implied: { table: "no_such_table", version: 3 } };
        expect(() => migrate(storage, [wrong])).toThrow(/implied by table no_such_table, which its steps did not create/);
        expect(tableExists(storage.sql, "data_v3")).toBe(false);
        expect(tableExists(storage.sql, "_schema")).toBe(false);
      });
    });

    it("a later step starts from the implied version and records the new one in a row", async () => {
      await inEmptyObject((storage) => {
        migrate(storage, [implied]);
        const later: StoreSchema = { ...implied, steps: [...steps, "ALTER TABLE data_v3 ADD COLUMN z INTEGER"] };
        expect(migrate(storage, [later])).toEqual([{ store: "data", from: 3, to: 4 }]);
        expect(version(storage.sql, "data")).toBe(4);
        expect(storeVersions(storage.sql, [later])).toEqual({ data: 4 });
        // A newer build's row is still refused by this one.
        expect(() => migrate(storage, [implied])).toThrow(/at schema version 4 but this build knows only 3/);
      });
    });

    it("the journal: the build before, which knows no implied version, opens a new run object with its pages kept", async () => {
      await inEmptyObject((storage) => {
        migrate(storage, [JOURNAL_SCHEMA]);
        expect(tableExists(storage.sql, "_schema")).toBe(false);
        const page = { n: 1, last_seq: 2, events: '[{"seq":1},{"seq":2}]', patch: '{"run":{"id":"run_x"}}' };
        storage.sql.exec(
          "INSERT INTO journal (n, last_seq, events, patch) VALUES (?, ?, ?, ?)",
          page.n,
          page.last_seq,
          page.events,
          page.patch,
        );

        // That build runs steps 1-5 again: they create the old tables, find no run in them and drop them.
        expect(migrate(storage, [{ ...JOURNAL_SCHEMA, implied: undefined }])).toEqual([{ store: "journal", from: 0, to: 5 }]);
        expect(storage.sql.exec("SELECT * FROM journal").toArray()).toEqual([page]);
        const tables = storage.sql.exec(
          "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_cf\\_%' ESCAPE '\\' ORDER BY name",
        );
        expect(tables.toArray().map((r) => r.name)).toEqual(["_schema", "journal"]);
        // And this build opens it again as it is.
        expect(migrate(storage, [JOURNAL_SCHEMA])).toEqual([{ store: "journal", from: 5, to: 5 }]);
      });
    });
  });
});
