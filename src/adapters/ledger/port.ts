// The CreditLedger port: a tenant's credits. Every operation is idempotent by its key, and
// `available` never goes below zero. Adapters: durable (the tenant Durable Object), supabase.

export type LedgerKind = "reserve" | "charge" | "release" | "topup";

export interface LedgerEntry {
  id: string;
  run_id: string | null;
  kind: LedgerKind;
  amount: number;
  balance_after: number;
  created_at: string;
}

export interface Balance {
  available: number;
  reserved: number;
  spent_total: number;
}

export type ReserveResult = { ok: true; balance: Balance } | { ok: false; balance: Balance };

export interface Charge {
  /** Idempotency key: run id + step + call. */
  key: string;
  amount: number;
}

export interface CreditLedger {
  /** Moves `amount` from available to reserved for the run; refused when available is short. */
  reserve(tenantId: string, runId: string, amount: number, key: string): Promise<ReserveResult>;
  /** Moves each charge from the run's reservation to spent; a key already applied is skipped. */
  charge(tenantId: string, runId: string, charges: Charge[]): Promise<Balance>;
  /** Returns what is left of the run's reservation to available. */
  release(tenantId: string, runId: string, key: string): Promise<Balance>;
  topUp(tenantId: string, amount: number, key: string, reason?: string): Promise<Balance>;
  balance(tenantId: string): Promise<Balance>;
  ledger(tenantId: string, limit: number, cursor?: string): Promise<{ entries: LedgerEntry[]; next_cursor: string | null }>;
}
