// A run's syncs as the embedded ledger settles them: charges numbered by the run, one ledger entry
// per sync, a sync sent again after its answer was lost, and charges applied one by one by an
// earlier build. Against the tenant object's own SQLite.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { countRows } from "../../src/storage/row-counter";
import { LedgerStore } from "../../src/tenant/ledger-store";

const RUN = "run_0000000000000000000001";
const charge = (n: number, amount = 1) => ({ key: `${RUN}:1:${n}:1:1`, amount });

/** Runs `fn` over the ledger of a new tenant object holding 100 credits, 10 reserved for RUN. */
async function withLedger<T>(fn: (ledger: LedgerStore, sql: SqlStorage) => T): Promise<T> {
  const stub = env.TENANTS.get(env.TENANTS.idFromName(`settle-${crypto.randomUUID()}`));
  return runInDurableObject(stub, (_obj, state) =>
    state.storage.transactionSync(() => {
      const ledger = new LedgerStore(state.storage.sql);
      ledger.topUp(100, "topup-1", null);
      expect(ledger.reserve(RUN, 10, `reserve:${RUN}:1`)).toBe(true);
      return fn(ledger, state.storage.sql);
    }),
  );
}

const charges = (ledger: LedgerStore) =>
  ledger
    .page(100, null)
    .entries.filter((e) => e.kind === "charge")
    .map((e) => e.amount)
    .reverse();

describe("settling a run's syncs", () => {
  it("takes a sync's charges as one entry, and a sync sent again after a lost answer only what is new", async () => {
    const out = await withLedger((ledger, sql) => {
      expect(ledger.settle(RUN, { charges: [charge(1, 2), charge(2), charge(3)], from: 1 }, null)).toBe(4);
      // The answer was lost: the run sends its unacknowledged charges again, with two more.
      expect(ledger.settle(RUN, { charges: [charge(1, 2), charge(2), charge(3), charge(4), charge(5)], from: 1 }, null)).toBe(2);
      // Acknowledged through 5: the final sync has none, and releases the rest.
      expect(ledger.settle(RUN, { charges: [], from: 6 }, `release:${RUN}:1`)).toBe(0);
      // The same final sync again moves nothing.
      expect(ledger.settle(RUN, { charges: [charge(4), charge(5)], from: 4 }, `release:${RUN}:1`)).toBe(0);
      const keys = sql.exec("SELECT keys FROM reservations WHERE run_id = ?", RUN).one().keys as string;
      return { balance: ledger.balance(), charges: charges(ledger), kinds: ledger.page(100, null).entries.map((e) => e.kind), keys };
    });
    // The run keeps the keys of its reserve and release, not one per sync.
    expect(JSON.parse(out.keys)).toEqual([`reserve:${RUN}:1`, `release:${RUN}:1`]);
    expect(out.balance).toEqual({ available: 94, reserved: 0, spent_total: 6 });
    expect(out.charges).toEqual([4, 2]);
    expect(out.kinds).toEqual(["release", "charge", "charge", "reserve", "topup"]);
  });

  it("writes the reservation once for a final sync's charges and release", async () => {
    const rows = await withLedger((_ledger, sql) => {
      const counter = countRows(sql);
      const release = `release:${RUN}:1`;
      return counter.measure(() =>
        new LedgerStore(counter.sql).settle(RUN, { charges: [charge(1, 2), charge(2), charge(3)], from: 1 }, release),
      ).rows;
    });
    // One charge entry and the release entry, each with the balance after it, and the reservation
    // with the run's keys: no balance row, no key index.
    expect(rows).toBe(3);
  });

  it("skips a charge an earlier build applied by its own key, and counts it as settled", async () => {
    const out = await withLedger((ledger) => {
      ledger.charge(RUN, [charge(1, 3)]);
      const taken = ledger.settle(RUN, { charges: [charge(1, 3), charge(2)], from: 1 }, null);
      return { taken, balance: ledger.balance(), charges: charges(ledger) };
    });
    expect(out.taken).toBe(1);
    expect(out.balance).toEqual({ available: 90, reserved: 6, spent_total: 4 });
    expect(out.charges).toEqual([3, 1]);
  });

  it("refuses a batch not numbered from 1 or more, before anything moves", async () => {
    const out = await withLedger((ledger) => {
      expect(() => ledger.settle(RUN, { charges: [charge(1)], from: 0 }, null)).toThrow(/numbered from 1/);
      return ledger.balance();
    });
    expect(out).toEqual({ available: 90, reserved: 10, spent_total: 0 });
  });
});
