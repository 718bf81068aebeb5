// Credit ledger rules (docs/credits.md), pure: what a reserve, charge, release or top-up moves.
// Invariant: every rule keeps `available + reserved + spent_total` unchanged except a top-up.

export interface Totals {
  available: number;
  reserved: number;
  spent_total: number;
}

/** One run's reservation over its life: everything reserved, charged and released so far. */
export interface Reservation {
  amount: number;
  charged: number;
  released: number;
}

export const NO_RESERVATION: Reservation = { amount: 0, charged: 0, released: 0 };

/** A ledger call with an argument that can never be valid (bad amount, empty key or id). */
export class LedgerArgumentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "LedgerArgumentError";
  }
}

/** Throws unless `amount` is an integer ≥ 1 (or ≥ 0 when `zeroOk`). */
export function checkAmount(what: string, amount: unknown, zeroOk = false): number {
  const min = zeroOk ? 0 : 1;
  if (typeof amount !== "number" || !Number.isSafeInteger(amount) || amount < min) {
    throw new LedgerArgumentError(`${what} must be an integer ≥ ${min}, got ${String(amount)}`);
  }
  return amount;
}

/** Throws unless `value` is a non-empty string (run ids and idempotency keys). */
export function checkKey(what: string, value: unknown): string {
  if (typeof value !== "string" || value === "") throw new LedgerArgumentError(`${what} must be a non-empty string`);
  return value;
}

/** Credits still held for the run: reserved and neither charged nor released. */
export function held(r: Reservation): number {
  return r.amount - r.charged - r.released;
}

/** A reserve moves `amount` from available to the run's reservation; null when available is short. */
export function applyReserve(t: Totals, r: Reservation, amount: number): { totals: Totals; reservation: Reservation } | null {
  checkAmount("reserve amount", amount);
  if (t.available < amount) return null;
  return {
    totals: { available: t.available - amount, reserved: t.reserved + amount, spent_total: t.spent_total },
    reservation: { ...r, amount: r.amount + amount },
  };
}

/**
 * A charge moves credits from the run's reservation to spent, never more than the run still
 * holds: `taken` may be less than asked (zero after the release), so available is never touched.
 */
export function applyCharge(t: Totals, r: Reservation, amount: number): { totals: Totals; reservation: Reservation; taken: number } {
  checkAmount("charge amount", amount, true);
  const taken = Math.min(amount, held(r));
  return {
    totals: { available: t.available, reserved: t.reserved - taken, spent_total: t.spent_total + taken },
    reservation: { ...r, charged: r.charged + taken },
    taken,
  };
}

/** A release returns what the run still holds to available (zero when nothing is held). */
export function applyRelease(t: Totals, r: Reservation): { totals: Totals; reservation: Reservation; returned: number } {
  const returned = held(r);
  return {
    totals: { available: t.available + returned, reserved: t.reserved - returned, spent_total: t.spent_total },
    reservation: { ...r, released: r.released + returned },
    returned,
  };
}

/** A top-up adds `amount` (an integer ≥ 1) to available: the only way credits enter. */
export function applyTopUp(t: Totals, amount: number): Totals {
  checkAmount("top-up amount", amount);
  return { ...t, available: t.available + amount };
}
