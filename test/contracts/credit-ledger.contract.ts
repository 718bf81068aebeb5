// The CreditLedger contract: one suite every ledger adapter must pass (durable, supabase).
// Only vitest and src types here, so it runs in Node and inside workerd alike.
//
// Semantics pinned down here, beyond the port's comments:
// - `balance_after` of an entry is the tenant's `available` right after that entry.
// - a charge larger than what is left of the run's reservation takes only what is left
//   (the entry records what was taken); `available` is never touched by a charge.
// - a refused reserve writes no entry; a replayed key answers `ok: true` without moving credits.
// - amounts of reserve and topUp must be positive integers; anything else rejects and changes nothing.
//   A charge amount may be 0. Keys are unique per tenant across all kinds.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Balance, CreditLedger, LedgerEntry } from "../../src/adapters/ledger/port";

/** What the contract needs for one test: a ledger and a tenant unused so far. */
export interface CreditLedgerFixture {
  ledger: CreditLedger;
  /** A tenant id no other test uses (no credits, no history). `${tenantId}-other` must be free too. */
  tenantId: string;
  /** Called after each test. */
  cleanup?: () => Promise<void>;
}

const zero: Balance = { available: 0, reserved: 0, spent_total: 0 };

/** Runs the CreditLedger contract against the adapter `make` builds (once per test). */
export function creditLedgerContract(name: string, make: () => Promise<CreditLedgerFixture>): void {
  describe(`CreditLedger contract: ${name}`, () => {
    let ledger: CreditLedger;
    let tenant: string;
    let fixture: CreditLedgerFixture;
    const run = crypto.randomUUID().slice(0, 8);
    let n = 0;
    const key = (label: string) => `${label}:${run}:${++n}`;

    async function allEntries(tenantId = tenant): Promise<LedgerEntry[]> {
      const out: LedgerEntry[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < 100; page++) {
        const { entries, next_cursor } = await ledger.ledger(tenantId, 50, cursor);
        out.push(...entries);
        if (next_cursor === null) return out;
        cursor = next_cursor;
      }
      throw new Error("ledger paging did not end");
    }

    beforeEach(async () => {
      fixture = await make();
      ledger = fixture.ledger;
      tenant = fixture.tenantId;
    });

    afterEach(async () => {
      await fixture.cleanup?.();
    });

    it("a new tenant has a zero balance and an empty ledger", async () => {
      expect(await ledger.balance(tenant)).toEqual(zero);
      expect(await ledger.ledger(tenant, 10)).toEqual({ entries: [], next_cursor: null });
    });

    it("topUp adds to available and records a topup entry with balance_after", async () => {
      await ledger.topUp(tenant, 30, key("t1"));
      const balance = await ledger.topUp(tenant, 12, key("t2"), "manual grant");
      expect(balance).toEqual({ available: 42, reserved: 0, spent_total: 0 });
      const { entries } = await ledger.ledger(tenant, 10);
      expect(entries.map((e) => [e.kind, e.amount, e.balance_after, e.run_id])).toEqual([
        ["topup", 12, 42, null],
        ["topup", 30, 30, null],
      ]);
      for (const e of entries) expect(Number.isNaN(Date.parse(e.created_at))).toBe(false);
    });

    it("the same topUp key twice counts once", async () => {
      const k = key("topup");
      await ledger.topUp(tenant, 25, k);
      expect(await ledger.topUp(tenant, 25, k)).toEqual({ available: 25, reserved: 0, spent_total: 0 });
      expect(await allEntries()).toHaveLength(1);
    });

    it("reserve moves credits from available to reserved for the run", async () => {
      await ledger.topUp(tenant, 100, key("t"));
      const result = await ledger.reserve(tenant, "run-a", 40, key("r"));
      expect(result).toEqual({ ok: true, balance: { available: 60, reserved: 40, spent_total: 0 } });
      const [entry] = (await ledger.ledger(tenant, 1)).entries;
      expect(entry).toMatchObject({ kind: "reserve", run_id: "run-a", amount: 40, balance_after: 60 });
    });

    it("reserve is refused when available is short, and nothing changes", async () => {
      await ledger.topUp(tenant, 10, key("t"));
      const result = await ledger.reserve(tenant, "run-a", 11, key("r"));
      expect(result).toEqual({ ok: false, balance: { available: 10, reserved: 0, spent_total: 0 } });
      expect(await ledger.balance(tenant)).toEqual({ available: 10, reserved: 0, spent_total: 0 });
      expect((await allEntries()).map((e) => e.kind)).toEqual(["topup"]);
    });

    it("the same reserve key twice reserves once", async () => {
      await ledger.topUp(tenant, 100, key("t"));
      const k = key("r");
      await ledger.reserve(tenant, "run-a", 30, k);
      const again = await ledger.reserve(tenant, "run-a", 30, k);
      expect(again).toEqual({ ok: true, balance: { available: 70, reserved: 30, spent_total: 0 } });
      expect((await allEntries()).filter((e) => e.kind === "reserve")).toHaveLength(1);
    });

    it("50 concurrent reserves against a balance covering exactly 10: exactly 10 succeed", async () => {
      await ledger.topUp(tenant, 70, key("t"));
      const results = await Promise.all(Array.from({ length: 50 }, (_, i) => ledger.reserve(tenant, `run-${i}`, 7, key(`r${i}`))));
      expect(results.filter((r) => r.ok)).toHaveLength(10);
      for (const r of results) expect(r.balance.available).toBeGreaterThanOrEqual(0);
      expect(await ledger.balance(tenant)).toEqual({ available: 0, reserved: 70, spent_total: 0 });
      expect((await allEntries()).filter((e) => e.kind === "reserve")).toHaveLength(10);
    });

    it("concurrent replays of one reserve key apply once", async () => {
      await ledger.topUp(tenant, 100, key("t"));
      const k = key("r");
      const results = await Promise.all(Array.from({ length: 8 }, () => ledger.reserve(tenant, "run-a", 10, k)));
      expect(results.every((r) => r.ok)).toBe(true);
      expect(await ledger.balance(tenant)).toEqual({ available: 90, reserved: 10, spent_total: 0 });
    });

    it("charge moves each charge from the run's reservation to spent", async () => {
      await ledger.topUp(tenant, 100, key("t"));
      await ledger.reserve(tenant, "run-a", 50, key("r"));
      const balance = await ledger.charge(tenant, "run-a", [
        { key: key("c"), amount: 10 },
        { key: key("c"), amount: 5 },
      ]);
      expect(balance).toEqual({ available: 50, reserved: 35, spent_total: 15 });
      const charges = (await allEntries()).filter((e) => e.kind === "charge");
      expect(charges.map((e) => [e.run_id, e.amount, e.balance_after])).toEqual([
        ["run-a", 5, 50],
        ["run-a", 10, 50],
      ]);
    });

    it("a charge key already applied is skipped, within a batch and across calls", async () => {
      await ledger.topUp(tenant, 100, key("t"));
      await ledger.reserve(tenant, "run-a", 50, key("r"));
      const a = key("step1-call1");
      expect(
        await ledger.charge(tenant, "run-a", [
          { key: a, amount: 10 },
          { key: a, amount: 10 },
        ]),
      ).toEqual({
        available: 50,
        reserved: 40,
        spent_total: 10,
      });
      const balance = await ledger.charge(tenant, "run-a", [
        { key: a, amount: 10 },
        { key: key("step1-call2"), amount: 3 },
      ]);
      expect(balance).toEqual({ available: 50, reserved: 37, spent_total: 13 });
    });

    it("concurrent redeliveries of one charge apply once", async () => {
      await ledger.topUp(tenant, 100, key("t"));
      await ledger.reserve(tenant, "run-a", 50, key("r"));
      const k = key("c");
      await Promise.all(Array.from({ length: 6 }, () => ledger.charge(tenant, "run-a", [{ key: k, amount: 4 }])));
      expect(await ledger.balance(tenant)).toEqual({ available: 50, reserved: 46, spent_total: 4 });
    });

    it("a charge beyond the reservation takes only what is left, never from available", async () => {
      await ledger.topUp(tenant, 100, key("t"));
      await ledger.reserve(tenant, "run-a", 20, key("r"));
      const balance = await ledger.charge(tenant, "run-a", [
        { key: key("c"), amount: 15 },
        { key: key("c"), amount: 15 },
      ]);
      expect(balance).toEqual({ available: 80, reserved: 0, spent_total: 20 });
      const charged = (await allEntries()).filter((e) => e.kind === "charge").map((e) => e.amount);
      expect(charged.reduce((a, b) => a + b, 0)).toBe(20);
    });

    it("release returns only the unspent part of the run's reservation", async () => {
      await ledger.topUp(tenant, 100, key("t"));
      await ledger.reserve(tenant, "run-a", 40, key("r"));
      await ledger.charge(tenant, "run-a", [{ key: key("c"), amount: 15 }]);
      const balance = await ledger.release(tenant, "run-a", key("rel"));
      expect(balance).toEqual({ available: 85, reserved: 0, spent_total: 15 });
      const [entry] = (await ledger.ledger(tenant, 1)).entries;
      expect(entry).toMatchObject({ kind: "release", run_id: "run-a", amount: 25, balance_after: 85 });
    });

    it("the same release key twice releases once, and a later release finds nothing left", async () => {
      await ledger.topUp(tenant, 100, key("t"));
      await ledger.reserve(tenant, "run-a", 40, key("r"));
      const k = key("rel");
      await ledger.release(tenant, "run-a", k);
      expect(await ledger.release(tenant, "run-a", k)).toEqual({ available: 100, reserved: 0, spent_total: 0 });
      expect(await ledger.release(tenant, "run-a", key("rel-again"))).toEqual({ available: 100, reserved: 0, spent_total: 0 });
      const released = (await allEntries()).filter((e) => e.kind === "release").map((e) => e.amount);
      expect(released.reduce((a, b) => a + b, 0)).toBe(40);
    });

    it("release leaves the other runs' reservations alone", async () => {
      await ledger.topUp(tenant, 100, key("t"));
      await ledger.reserve(tenant, "run-a", 30, key("r"));
      await ledger.reserve(tenant, "run-b", 20, key("r"));
      await ledger.charge(tenant, "run-b", [{ key: key("c"), amount: 5 }]);
      expect(await ledger.release(tenant, "run-a", key("rel"))).toEqual({ available: 80, reserved: 15, spent_total: 5 });
    });

    it("available + reserved + spent_total equals the sum of top-ups after any sequence", async () => {
      let seed = 7;
      const rand = (max: number) => {
        seed = (seed * 1103515245 + 12345) % 2147483648;
        return seed % max;
      };
      let topUps = 0;
      const appliedTopUps = new Set<string>();
      // Replays reuse a key of the same kind and run, as a redelivered message would.
      const used = new Map<string, string[]>();
      const reuseOrNew = (label: string) => {
        const earlier = used.get(label) ?? [];
        const k = earlier.length > 0 && rand(4) === 0 ? (earlier[rand(earlier.length)] as string) : key(label);
        used.set(label, [...earlier, k]);
        return k;
      };
      for (let step = 0; step < 40; step++) {
        const runId = `run-${rand(3)}`;
        const op = rand(5);
        if (op === 0) {
          const k = reuseOrNew("t");
          const amount = 1 + rand(30);
          await ledger.topUp(tenant, amount, k);
          if (!appliedTopUps.has(k)) topUps += amount;
          appliedTopUps.add(k);
        } else if (op === 1) {
          await ledger.reserve(tenant, runId, 1 + rand(25), reuseOrNew(`r:${runId}`));
        } else if (op === 2) {
          await ledger.charge(tenant, runId, [
            { key: reuseOrNew(`c:${runId}`), amount: rand(10) },
            { key: reuseOrNew(`c:${runId}`), amount: rand(10) },
          ]);
        } else {
          await ledger.release(tenant, runId, reuseOrNew(`rel:${runId}`));
        }
        const b = await ledger.balance(tenant);
        expect(b.available).toBeGreaterThanOrEqual(0);
        expect(b.reserved).toBeGreaterThanOrEqual(0);
        expect(b.available + b.reserved + b.spent_total).toBe(topUps);
      }
      // Replaying the ledger oldest first reproduces every balance_after.
      let available = 0;
      for (const e of (await allEntries()).reverse()) {
        if (e.kind === "topup" || e.kind === "release") available += e.amount;
        if (e.kind === "reserve") available -= e.amount;
        expect(e.balance_after).toBe(available);
      }
      expect((await ledger.balance(tenant)).available).toBe(available);
    });

    it("ledger pages run newest first and the cursor walks every entry once", async () => {
      for (let i = 1; i <= 7; i++) await ledger.topUp(tenant, i, key("t"));
      const first = await ledger.ledger(tenant, 3);
      expect(first.entries.map((e) => e.amount)).toEqual([7, 6, 5]);
      expect(first.next_cursor).not.toBeNull();
      const second = await ledger.ledger(tenant, 3, first.next_cursor ?? undefined);
      expect(second.entries.map((e) => e.amount)).toEqual([4, 3, 2]);
      const third = await ledger.ledger(tenant, 3, second.next_cursor ?? undefined);
      expect(third.entries.map((e) => e.amount)).toEqual([1]);
      expect(third.next_cursor).toBeNull();
      const ids = [...first.entries, ...second.entries, ...third.entries].map((e) => e.id);
      expect(new Set(ids).size).toBe(7);
    });

    it("a page that ends exactly at the last entry has no next cursor", async () => {
      for (let i = 1; i <= 3; i++) await ledger.topUp(tenant, i, key("t"));
      expect((await ledger.ledger(tenant, 3)).next_cursor).toBeNull();
    });

    it("tenants do not see or spend each other's credits, even with the same keys", async () => {
      const other = `${tenant}-other`;
      const k = key("shared");
      await ledger.topUp(tenant, 10, k);
      await ledger.topUp(other, 50, k);
      expect(await ledger.reserve(tenant, "run-a", 20, key("r"))).toMatchObject({ ok: false });
      expect(await ledger.balance(tenant)).toEqual({ available: 10, reserved: 0, spent_total: 0 });
      expect(await ledger.balance(other)).toEqual({ available: 50, reserved: 0, spent_total: 0 });
      expect((await allEntries()).map((e) => e.amount)).toEqual([10]);
    });

    it("non-positive amounts are rejected and change nothing", async () => {
      await ledger.topUp(tenant, 10, key("t"));
      await expect(ledger.reserve(tenant, "run-a", 0, key("r"))).rejects.toThrow();
      await expect(ledger.reserve(tenant, "run-a", -5, key("r"))).rejects.toThrow();
      await expect(ledger.topUp(tenant, 0, key("t"))).rejects.toThrow();
      await expect(ledger.topUp(tenant, -1, key("t"))).rejects.toThrow();
      expect(await ledger.balance(tenant)).toEqual({ available: 10, reserved: 0, spent_total: 0 });
      expect(await allEntries()).toHaveLength(1);
    });
  });
}
