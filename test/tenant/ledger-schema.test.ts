// Ledger step 3 on a ledger of step 2: the balance row folded into the last entry, each run's keys
// moved onto its reservation (so a movement sent again after the upgrade still applies once), and
// a balance that no entry carries refused with nothing changed.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { migrate, SchemaError } from "../../src/storage/migrations";
import { LEDGER_SCHEMA, LedgerStore } from "../../src/tenant/ledger-store";

const STEP_2 = { ...LEDGER_SCHEMA, steps: LEDGER_SCHEMA.steps.slice(0, 2) };
const RUN = "run_0000000000000000000007";
const OTHER = "run_0000000000000000000008";

/** A new object's storage holding only a ledger at step 2 with `rows` written into it. */
function atStep2<T>(rows: string, fn: (storage: DurableObjectStorage) => T): Promise<T> {
  const stub = env.METRICS.get(env.METRICS.idFromName(`ledger-schema-${crypto.randomUUID()}`));
  return runInDurableObject(stub, (_obj, state) => {
    migrate(state.storage, [STEP_2]);
    if (rows) state.storage.sql.exec(rows);
    return fn(state.storage);
  });
}

const entry = (id: number, run: string | null, kind: string, amount: number, after: number, key: string) =>
  `INSERT INTO ledger (id, run_id, kind, amount, balance_after, idem_key, reason, created_at) VALUES (${id}, ${run ? `'${run}'` : "NULL"}, '${kind}', ${amount}, ${after}, '${key}', NULL, 1);`;

const PLANTED = [
  "UPDATE balance SET available = 85, reserved = 10, spent_total = 5 WHERE id = 1;",
  "INSERT INTO reservations (run_id, amount, charged, released, charged_through) VALUES ('run_0000000000000000000007', 10, 0, 0, 0);",
  // A run charged by key with no reservation here (the ledger still has its entries).
  entry(1, null, "topup", 100, 100, "topup-1"),
  entry(2, RUN, "reserve", 10, 90, `reserve:${RUN}:1`),
  // A sync's charges, skipped by charged_through: their key is not kept.
  entry(6, RUN, "charge", 0, 90, `charges:${RUN}:1-1`),
  entry(3, OTHER, "charge", 0, 90, `${OTHER}:1:1:1:1`),
  entry(4, OTHER, "release", 0, 90, `release:${OTHER}:1`),
  // The last entry's balance_after is what the balance row says.
  entry(7, null, "topup", 0, 85, "spent-elsewhere"),
].join("\n");

describe("ledger step 3", () => {
  it("folds the balance row into the last entry and each run's keys onto its reservation", async () => {
    const out = await atStep2(PLANTED, (storage) => {
      migrate(storage, [LEDGER_SCHEMA]);
      const sql = storage.sql;
      const ledger = new LedgerStore(sql);
      const before = ledger.balance();
      const keys = sql
        .exec("SELECT run_id, amount, keys FROM reservations ORDER BY run_id")
        .toArray()
        .map((r) => ({ run: r.run_id, amount: r.amount, keys: JSON.parse(r.keys as string) }));
      const tables = sql
        .exec("SELECT name FROM sqlite_master WHERE name IN ('balance', 'ledger_topup_keys') ORDER BY name")
        .toArray()
        .map((r) => r.name);
      // Sent again after the upgrade: each applies once, by the keys moved onto the reservations.
      const again = storage.transactionSync(() => {
        const reserved = ledger.reserve(RUN, 10, `reserve:${RUN}:1`);
        const charged = ledger.charge(OTHER, [{ key: `${OTHER}:1:1:1:1`, amount: 3 }]);
        ledger.topUp(100, "topup-1", null);
        return { reserved, charged, topUp: ledger.balance() };
      });
      return { before, keys, tables, again, entries: ledger.page(100, null).entries.length };
    });
    expect(out.before).toEqual({ available: 85, reserved: 10, spent_total: 5 });
    expect(out.keys).toEqual([
      { run: RUN, amount: 10, keys: [`reserve:${RUN}:1`] },
      { run: OTHER, amount: 0, keys: [`${OTHER}:1:1:1:1`, `release:${OTHER}:1`] },
    ]);
    expect(out.tables).toEqual(["ledger_topup_keys"]);
    expect(out.again).toEqual({ reserved: true, charged: 0, topUp: { available: 85, reserved: 10, spent_total: 5 } });
    expect(out.entries).toBe(6);
  });

  it("refuses a balance that no entry carries, and changes nothing", async () => {
    const out = await atStep2("UPDATE balance SET available = 5 WHERE id = 1;", (storage) => {
      let error: unknown = null;
      try {
        migrate(storage, [LEDGER_SCHEMA]);
      } catch (e) {
        error = e;
      }
      const sql = storage.sql;
      return {
        error: error instanceof SchemaError ? error.message : String(error),
        version: sql.exec("SELECT version FROM _schema WHERE store = 'ledger'").one().version,
        balance: sql.exec("SELECT available FROM balance").one().available,
      };
    });
    expect(out.error).toMatch(/store "ledger": migration step 3 failed, nothing was changed: the balance is not zero/);
    expect(out).toMatchObject({ version: 2, balance: 5 });
  });

  it("a new ledger starts at zero, with no balance row", async () => {
    const out = await atStep2("", (storage) => {
      migrate(storage, [LEDGER_SCHEMA]);
      return new LedgerStore(storage.sql).balance();
    });
    expect(out).toEqual({ available: 0, reserved: 0, spent_total: 0 });
  });
});
