// The pure ledger rules of docs/credits.md: what each movement does to the totals and the run.
import { describe, expect, it } from "vitest";
import {
  applyCharge,
  applyRelease,
  applyReserve,
  applyTopUp,
  checkAmount,
  checkKey,
  held,
  LedgerArgumentError,
  NO_RESERVATION,
  type Totals,
} from "../../src/tenant/credits";

const sum = (t: Totals) => t.available + t.reserved + t.spent_total;
const start: Totals = { available: 100, reserved: 0, spent_total: 0 };

describe("credit rules", () => {
  it("a reserve moves credits from available to reserved and adds to the run's reservation", () => {
    const r = applyReserve(start, NO_RESERVATION, 40)!;
    expect(r.totals).toEqual({ available: 60, reserved: 40, spent_total: 0 });
    expect(r.reservation).toEqual({ amount: 40, charged: 0, released: 0 });
    const again = applyReserve(r.totals, r.reservation, 10)!;
    expect(held(again.reservation)).toBe(50);
  });

  it("a reserve larger than available is refused", () => {
    expect(applyReserve(start, NO_RESERVATION, 101)).toBeNull();
    expect(applyReserve(start, NO_RESERVATION, 100)?.totals.available).toBe(0);
  });

  it("a charge takes from the reservation, never more than is held", () => {
    const { totals, reservation } = applyReserve(start, NO_RESERVATION, 10)!;
    const a = applyCharge(totals, reservation, 7);
    expect(a.taken).toBe(7);
    expect(a.totals).toEqual({ available: 90, reserved: 3, spent_total: 7 });
    const b = applyCharge(a.totals, a.reservation, 7);
    expect(b.taken).toBe(3);
    expect(b.totals).toEqual({ available: 90, reserved: 0, spent_total: 10 });
    expect(applyCharge(b.totals, b.reservation, 5).taken).toBe(0);
  });

  it("a charge without a reservation takes nothing", () => {
    const c = applyCharge(start, NO_RESERVATION, 5);
    expect(c.taken).toBe(0);
    expect(c.totals).toEqual(start);
  });

  it("a release returns only what is held, and a second release returns nothing", () => {
    const r = applyReserve(start, NO_RESERVATION, 40)!;
    const c = applyCharge(r.totals, r.reservation, 15);
    const rel = applyRelease(c.totals, c.reservation);
    expect(rel.returned).toBe(25);
    expect(rel.totals).toEqual({ available: 85, reserved: 0, spent_total: 15 });
    const twice = applyRelease(rel.totals, rel.reservation);
    expect(twice.returned).toBe(0);
    expect(twice.totals).toEqual(rel.totals);
  });

  it("a charge after the release takes nothing: a late charge cannot overdraw", () => {
    const r = applyReserve(start, NO_RESERVATION, 10)!;
    const rel = applyRelease(r.totals, r.reservation);
    const late = applyCharge(rel.totals, rel.reservation, 4);
    expect(late.taken).toBe(0);
    expect(late.totals).toEqual({ available: 100, reserved: 0, spent_total: 0 });
  });

  it("a reserve after a release (a retried run) holds the new amount only", () => {
    const r = applyReserve(start, NO_RESERVATION, 10)!;
    const c = applyCharge(r.totals, r.reservation, 4);
    const rel = applyRelease(c.totals, c.reservation);
    const again = applyReserve(rel.totals, rel.reservation, 6)!;
    expect(held(again.reservation)).toBe(6);
    expect(again.totals).toEqual({ available: 90, reserved: 6, spent_total: 4 });
  });

  it("only a top-up changes available + reserved + spent_total", () => {
    let t = start;
    let r = NO_RESERVATION;
    const total = sum(t);
    const reserved = applyReserve(t, r, 30)!;
    t = reserved.totals;
    r = reserved.reservation;
    expect(sum(t)).toBe(total);
    const charged = applyCharge(t, r, 12);
    expect(sum(charged.totals)).toBe(total);
    const released = applyRelease(charged.totals, charged.reservation);
    expect(sum(released.totals)).toBe(total);
    expect(sum(applyTopUp(released.totals, 5))).toBe(total + 5);
  });

  it("amounts must be integers: reserve and top-up at least 1, a charge at least 0", () => {
    expect(() => applyReserve(start, NO_RESERVATION, 0)).toThrow(LedgerArgumentError);
    expect(() => applyReserve(start, NO_RESERVATION, 1.5)).toThrow(LedgerArgumentError);
    expect(() => applyTopUp(start, -1)).toThrow(LedgerArgumentError);
    expect(() => applyCharge(start, NO_RESERVATION, -1)).toThrow(LedgerArgumentError);
    expect(applyCharge(start, NO_RESERVATION, 0).taken).toBe(0);
    expect(() => checkAmount("x", Number.NaN)).toThrow("x must be an integer ≥ 1");
    expect(() => checkAmount("x", "3")).toThrow(LedgerArgumentError);
  });

  it("keys and run ids must be non-empty strings", () => {
    expect(checkKey("key", "k")).toBe("k");
    expect(() => checkKey("key", "")).toThrow("key must be a non-empty string");
    expect(() => checkKey("key", undefined)).toThrow(LedgerArgumentError);
  });
});
