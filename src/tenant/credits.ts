// Credit ledger rules (SPEC section 6), pure: what a reserve, charge or release moves.

export interface Totals {
  available: number;
  reserved: number;
  spent_total: number;
}

export interface Reservation {
  amount: number;
  charged: number;
  released: boolean;
}

/** A reserve moves `amount` from available to reserved, only if available covers it. */
export function applyReserve(t: Totals, amount: number): Totals | null {
  if (!Number.isInteger(amount) || amount < 0) throw new Error("reserve amount must be a non-negative integer");
  if (t.available < amount) return null;
  return { available: t.available - amount, reserved: t.reserved + amount, spent_total: t.spent_total };
}

/** A charge moves credits from the run's reservation to spent, never more than is left of it. */
export function applyCharge(t: Totals, r: Reservation, amount: number): { totals: Totals; taken: number } {
  const left = r.released ? 0 : r.amount - r.charged;
  const taken = Math.max(0, Math.min(amount, left));
  return { totals: { available: t.available, reserved: t.reserved - taken, spent_total: t.spent_total + taken }, taken };
}

/** A release returns what is left of the reservation to available. */
export function applyRelease(t: Totals, r: Reservation): { totals: Totals; returned: number } {
  const returned = r.released ? 0 : r.amount - r.charged;
  return { totals: { available: t.available + returned, reserved: t.reserved - returned, spent_total: t.spent_total }, returned };
}

export function applyTopUp(t: Totals, amount: number): Totals {
  if (!Number.isInteger(amount) || amount <= 0) throw new Error("top-up amount must be a positive integer");
  return { ...t, available: t.available + amount };
}
