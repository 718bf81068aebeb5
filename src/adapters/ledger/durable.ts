// The CreditLedger port over the tenant Durable Object (the embedded default): each operation is
// one RPC to the tenant's object, which applies it in one SQLite transaction (src/tenant/ledger-store.ts).

import type { CreditLedger } from "./port";

/**
 * A CreditLedger kept by each tenant's Durable Object (named by the tenant id). No setup, no
 * network; one writer per tenant serialises movements, so `available` never goes below zero.
 * Invalid arguments (amount not a positive integer, empty key, page limit outside 1..1000, bad
 * cursor) reject with an Error and change nothing.
 */
export function durableLedger(ns: Env["TENANTS"]): CreditLedger {
  const tenant = (id: string) => ns.get(ns.idFromName(id));
  return {
    reserve: async (tenantId, runId, amount, key) => tenant(tenantId).reserveCredits(runId, amount, key),
    charge: async (tenantId, runId, charges) => tenant(tenantId).chargeCredits(runId, charges),
    release: async (tenantId, runId, key) => tenant(tenantId).releaseCredits(runId, key),
    topUp: async (tenantId, amount, key, reason) => tenant(tenantId).topUp(amount, key, reason ?? null),
    balance: async (tenantId) => tenant(tenantId).balance(),
    ledger: async (tenantId, limit, cursor) => tenant(tenantId).ledgerPage(limit, cursor ?? null),
  };
}
