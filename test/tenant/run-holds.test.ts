// Where a run's credit reservation is kept: in its run index row for a run the tenant indexes
// (written with the row creation and each sync write anyway), in `reservations` for a run indexed
// before that and for a run id the index does not have. Against the tenant object's own SQLite.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { countRows } from "../../src/storage/row-counter";
import { LedgerStore, PendingHold } from "../../src/tenant/ledger-store";
import type { RunSync } from "../../src/tenant/protocol";
import { TenantStore } from "../../src/tenant/store";

const RUN = "run_0000000000000000000002";
const NOW = 1_800_000_000_000;

/** Runs `fn` over the index and ledger of a new tenant object holding 100 credits. */
async function withTenant<T>(fn: (t: { store: TenantStore; ledger: LedgerStore; sql: SqlStorage }) => T): Promise<T> {
  const stub = env.TENANTS.get(env.TENANTS.idFromName(`holds-${crypto.randomUUID()}`));
  return runInDurableObject(stub, (_obj, state) =>
    state.storage.transactionSync(() => {
      const sql = state.storage.sql;
      const store = new TenantStore(sql);
      const ledger = new LedgerStore(sql, store);
      ledger.topUp(100, "topup-1", null);
      return fn({ store, ledger, sql });
    }),
  );
}

/** Indexes RUN, queued with a budget of 10, with the reservation `hold` the ledger left for its row. */
function index(store: TenantStore, hold: PendingHold | null): void {
  const run = { id: RUN, agent: "general", status: "queued", priority: "normal", created_at: NOW, reserved: 10 } as const;
  store.indexRun({ ...run, metadata: null, webhook_url: null, hold });
}

/** Indexes RUN as creation does: its 10 credits reserved with the index row. */
function create(store: TenantStore, ledger: LedgerStore): void {
  const hold = new PendingHold();
  expect(ledger.reserve(RUN, 10, `reserve:${RUN}:1`, NOW, hold)).toBe(true);
  index(store, hold);
  ledger.keep(RUN, hold);
}

const sync = (version: number, over: Partial<RunSync> = {}): RunSync => ({
  id: RUN,
  version,
  status: "succeeded",
  spent: 3,
  attempt: 1,
  charges: [
    { key: `${RUN}:1:1:1:1`, amount: 1 },
    { key: `${RUN}:1:2:1:1`, amount: 2 },
  ],
  charges_from: 1,
  finished_at: NOW + 1000,
  not_before: null,
  error: null,
  agent: "general",
  output: null,
  approvals: [],
  ...over,
});

/** The final sync as the tenant object applies it: ledger, then the index row with the reservation. */
function settle(store: TenantStore, ledger: LedgerStore, s: RunSync): boolean {
  const hold = new PendingHold();
  ledger.settle(s.id, { charges: s.charges, from: s.charges_from }, `release:${s.id}:1`, NOW + 1000, hold);
  const applied = store.updateRun(s, NOW + 1000, hold);
  ledger.keep(s.id, hold);
  return applied;
}

const tableRows = (sql: SqlStorage) => sql.exec("SELECT count(*) AS n FROM reservations").one().n;

describe("a run's reservation", () => {
  it("is written with the run's index row at creation: the reserve entry, the row and its 2 list indexes", async () => {
    const out = await withTenant(({ store, sql }) => {
      const counter = countRows(sql);
      const rows = counter.measure(() => create(new TenantStore(counter.sql), new LedgerStore(counter.sql, store))).rows;
      // Read from storage: the ledger that wrote is another instance (each keeps its balance in memory).
      return { rows, table: tableRows(sql), hold: store.hold(RUN), balance: new LedgerStore(sql).balance() };
    });
    expect(out.rows).toBe(4);
    expect(out.table).toBe(0);
    expect(out.hold).toEqual({ amount: 10, charged: 0, released: 0, through: 0, keys: [`reserve:${RUN}:1`] });
    expect(out.balance).toEqual({ available: 90, reserved: 10, spent_total: 0 });
  });

  it("is written with the row by the final sync, once for the charges and the release", async () => {
    const out = await withTenant(({ store, ledger, sql }) => {
      create(store, ledger);
      const counter = countRows(sql);
      const measured = counter.measure(() => settle(new TenantStore(counter.sql), new LedgerStore(counter.sql, store), sync(2)));
      const balance = new LedgerStore(sql).balance();
      return { ...measured, table: tableRows(sql), hold: store.hold(RUN), balance, row: store.runRow(RUN) };
    });
    expect(out.result).toBe(true);
    // The charge entry, the release entry, the run's row (with its reservation) and its status index.
    expect(out.rows).toBe(4);
    expect(out.table).toBe(0);
    expect(out.hold).toEqual({ amount: 10, charged: 3, released: 7, through: 2, keys: [`reserve:${RUN}:1`, `release:${RUN}:1`] });
    expect(out.balance).toEqual({ available: 97, reserved: 0, spent_total: 3 });
    expect(out.row?.status).toBe("succeeded");
  });

  it("is written even when the index does not take a sync (an older version), and the sync again moves nothing", async () => {
    const out = await withTenant(({ store, ledger, sql }) => {
      create(store, ledger);
      // Version 1 is what the index already has: the state is not applied, the ledger's movements are.
      const applied = settle(store, ledger, sync(1));
      const first = { hold: store.hold(RUN), balance: ledger.balance() };
      const again = settle(store, ledger, sync(2));
      return { applied, again, first, hold: store.hold(RUN), balance: ledger.balance(), table: tableRows(sql) };
    });
    expect(out.applied).toBe(false);
    expect(out.first.hold).toMatchObject({ charged: 3, released: 7, through: 2 });
    expect(out.first.balance).toEqual({ available: 97, reserved: 0, spent_total: 3 });
    expect(out.again).toBe(true);
    expect(out.hold).toEqual(out.first.hold);
    expect(out.balance).toEqual(out.first.balance);
    expect(out.table).toBe(0);
  });

  it("stays in `reservations` for a run indexed before reservations moved to the row", async () => {
    const out = await withTenant(({ store, ledger, sql }) => {
      // As the build before wrote it: the reservation in its own row, the index row without.
      expect(ledger.reserve(RUN, 10, `reserve:${RUN}:1`, NOW)).toBe(true);
      index(store, null);
      expect(settle(store, ledger, sync(2))).toBe(true);
      const r = sql.exec("SELECT charged, released, keys FROM reservations WHERE run_id = ?", RUN).one();
      return { r, hold: store.hold(RUN), balance: ledger.balance() };
    });
    expect(out.hold).toBeNull();
    expect(out.r).toEqual({ charged: 3, released: 7, keys: JSON.stringify([`reserve:${RUN}:1`, `release:${RUN}:1`]) });
    expect(out.balance).toEqual({ available: 97, reserved: 0, spent_total: 3 });
  });

  it("stays in `reservations` for a run id the index does not have (the CreditLedger port)", async () => {
    const out = await withTenant(({ store, ledger, sql }) => {
      expect(ledger.reserve(RUN, 10, `reserve:${RUN}:1`, NOW)).toBe(true);
      ledger.charge(RUN, [{ key: "c1", amount: 4 }]);
      return { table: tableRows(sql), hold: store.hold(RUN), balance: ledger.balance() };
    });
    expect(out.table).toBe(1);
    expect(out.hold).toBeNull();
    expect(out.balance).toEqual({ available: 90, reserved: 6, spent_total: 4 });
  });

  it("moves with a retry's reserve in the row, and to `reservations` when a creation is undone", async () => {
    const out = await withTenant(({ store, ledger, sql }) => {
      create(store, ledger);
      expect(ledger.reserve(RUN, 5, `reserve:${RUN}:2`, NOW)).toBe(true);
      const retried = { hold: store.hold(RUN), table: tableRows(sql) };
      ledger.release(RUN, `release:${RUN}:init`);
      ledger.detach(RUN);
      store.unindexRun(RUN);
      // A key the run used is still known: the same release again moves nothing.
      ledger.release(RUN, `release:${RUN}:init`);
      const r = sql.exec("SELECT amount, released, keys FROM reservations WHERE run_id = ?", RUN).one();
      return { retried, r, balance: ledger.balance(), entries: ledger.page(10, null).entries.length };
    });
    expect(out.retried.table).toBe(0);
    expect(out.retried.hold).toMatchObject({ amount: 15, keys: [`reserve:${RUN}:1`, `reserve:${RUN}:2`] });
    expect(out.r).toEqual({
      amount: 15,
      released: 15,
      keys: JSON.stringify([`reserve:${RUN}:1`, `reserve:${RUN}:2`, `release:${RUN}:init`]),
    });
    expect(out.balance).toEqual({ available: 100, reserved: 0, spent_total: 0 });
    // The top-up, two reserves and one release: the repeated release wrote no entry.
    expect(out.entries).toBe(4);
  });
});
