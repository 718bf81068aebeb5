// What a run cost: the platform operations it caused in every object it touched, its model tokens,
// and their price in US dollars at the configured prices (PRICE_* variables, docs/operations.md).

import type { Usage } from "./types";

/**
 * A run's platform operations, cumulative. The run object counts the requests it receives, the
 * rows it writes and the queue messages it sends; the tenant object reports its own requests and
 * rows for the run (creation and syncs). Kept apart so each object's share is counted once in metrics.
 */
export interface RunCost {
  run_requests: number;
  run_rows: number;
  queue_messages: number;
  tenant_requests: number;
  tenant_rows: number;
}

export const ZERO_COST: RunCost = { run_requests: 0, run_rows: 0, queue_messages: 0, tenant_requests: 0, tenant_rows: 0 };

/** The sum of cost records (missing fields count as 0). */
export function addCosts(...parts: (Partial<RunCost> | null | undefined)[]): RunCost {
  const out = { ...ZERO_COST };
  for (const p of parts) {
    if (!p) continue;
    for (const k of Object.keys(out) as (keyof RunCost)[]) out[k] += p[k] ?? 0;
  }
  return out;
}

/** Prices in US dollars per million units. */
export interface Prices {
  durableObjectRequest: number;
  rowWritten: number;
  /** A queue message is three billed operations: write, read and delete. */
  queueOperation: number;
  inputToken: number;
  outputToken: number;
  cacheWriteToken: number;
  cacheReadToken: number;
}

/** Platform operations by kind, as GET /v1/runs/:id and /metrics name them. */
export interface PlatformOperations {
  durable_object_requests: number;
  rows_written: number;
  queue_messages: number;
}

export function platformOperations(c: RunCost): PlatformOperations {
  return {
    durable_object_requests: c.run_requests + c.tenant_requests,
    rows_written: c.run_rows + c.tenant_rows,
    queue_messages: c.queue_messages,
  };
}

const QUEUE_OPERATIONS_PER_MESSAGE = 3;
const M = 1_000_000;

export function platformUsd(ops: PlatformOperations, p: Prices): number {
  return (
    (ops.durable_object_requests * p.durableObjectRequest +
      ops.rows_written * p.rowWritten +
      ops.queue_messages * QUEUE_OPERATIONS_PER_MESSAGE * p.queueOperation) /
    M
  );
}

export function modelUsd(u: Usage, p: Prices): number {
  return (
    (u.input_tokens * p.inputToken +
      u.output_tokens * p.outputToken +
      u.cache_creation_input_tokens * p.cacheWriteToken +
      u.cache_read_input_tokens * p.cacheReadToken) /
    M
  );
}

/** Rounds dollars to a millionth of a cent, so sums of tiny prices read cleanly. */
const round = (usd: number) => Math.round(usd * 1e8) / 1e8;

/** The `cost` field of GET /v1/runs/:id. */
export function costView(c: RunCost, usage: Usage, p: Prices) {
  const ops = platformOperations(c);
  const platform = platformUsd(ops, p);
  const model = modelUsd(usage, p);
  return {
    ...ops,
    input_tokens: usage.input_tokens,
    output_tokens: usage.output_tokens,
    usd: { platform: round(platform), model: round(model), total: round(platform + model) },
  };
}
