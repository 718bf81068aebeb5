// Credit pricing (docs/credits.md): pure arithmetic, no I/O.

import type { Usage } from "./types";

export interface Pricing {
  /** Credits per 1000 input tokens (default 1). */
  perThousandInput: number;
  /** Credits per 1000 output tokens (default 5). */
  perThousandOutput: number;
  /** Credits charged once per run (default 1). */
  perRun: number;
}

export const DEFAULT_PRICING: Pricing = { perThousandInput: 1, perThousandOutput: 5, perRun: 1 };

/** Price of one model call: ceil(in × perK_in / 1000 + out × perK_out / 1000). */
export function callPrice(usage: Usage, pricing: Pricing): number {
  const raw = (usage.input_tokens * pricing.perThousandInput) / 1000 + (usage.output_tokens * pricing.perThousandOutput) / 1000;
  // Guard against float noise such as 0.30000000000000004 rounding up to 1 extra credit.
  return Math.ceil(Math.round(raw * 1e9) / 1e9);
}

export type ChargeDecision = { ok: true; amount: number } | { ok: false; amount: number };

/**
 * Whether a charge of `price` fits in the run's budget. When it does not, the run fails with
 * `budget_exceeded` and only what is left of the budget is taken, so spent never passes max.
 */
export function fitCharge(spent: number, price: number, maxCredits: number): ChargeDecision {
  if (spent + price <= maxCredits) return { ok: true, amount: price };
  return { ok: false, amount: Math.max(0, maxCredits - spent) };
}
