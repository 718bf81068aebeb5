// What the Worker and the run objects say to a tenant's Durable Object.

import type { RunCost } from "../domain/costs";
import type { Priority, RunStatus, Usage } from "../domain/types";
import type { Resolution } from "../run/journal";
import type { ApprovalView } from "../run/view";

/** A run's state pushed to its tenant's index; applied only if `version` is newer. */
export interface RunSync {
  id: string;
  version: number;
  status: RunStatus;
  spent: number;
  attempt: number;
  charges: { key: string; amount: number }[];
  /** The run's number of `charges[0]` (its charges are numbered from 1 in the order they were made). */
  charges_from: number;
  finished_at: number | null;
  not_before: number | null;
  /** The run's cumulative model usage (for metrics; counted when the run is final). */
  usage?: Usage;
  /** Retries scheduled over the run's life; sent with final states (for metrics). */
  retries?: number;
  /** What the run has cost so far; sent with final states (for metrics). */
  cost?: RunCost;
  error: { code: string; message: string; retryable: boolean } | null;
  agent: string;
  /** The run's output, on final syncs. */
  output: unknown;
  /** Every approval of the run (a run has few); the tenant keeps an index of them. */
  approvals: ApprovalView[];
  /** A person's resolution of the failed or dead run (null: none; absent from older builds). */
  resolution?: Resolution | null;
}

export interface CreateRunParams {
  runId: string;
  agent: string;
  input: unknown;
  priority: Priority | null;
  maxCredits: number | null;
  metadata: Record<string, unknown> | null;
  runAt: number | null;
  webhookUrl: string | null;
  idempotencyKey: string | null;
  bodyHash: string;
  baseUrl: string;
  /** Files placed in the run's workspace before the run is queued (null: none). */
  files?: Record<string, string> | null;
}

export interface CreatedRun {
  id: string;
  status: RunStatus;
  agent: string;
  priority: Priority;
  created_at: string;
  links: { self: string; logs: string; stream: string };
}

export type TenantError = {
  error: {
    code: "invalid_request" | "not_found" | "conflict" | "insufficient_credits" | "rate_limited" | "unauthorized" | "unavailable";
    message: string;
    details?: unknown;
    retryAfter?: number;
  };
};

export type CreateRunResult = { created: CreatedRun } | { replay: CreatedRun } | TenantError;

export interface RunIndexEntry {
  id: string;
  agent: string;
  status: RunStatus;
  priority: Priority;
  created_at: string;
  updated_at: string;
  finished_at: string | null;
  credits: { reserved: number; spent: number };
  metadata: Record<string, unknown>;
}

export type { QueueStats } from "../domain/types";
