// Run statuses and the transition table (docs/api.md, Run statuses and lifecycle), as pure predicates.

import type { RunStatus } from "../domain/types";

export const FINAL_STATUSES: readonly RunStatus[] = ["succeeded", "failed", "canceled", "expired", "dead"];

const TRANSITIONS: Record<RunStatus, readonly RunStatus[]> = {
  scheduled: ["queued", "running", "canceled", "expired", "dead"],
  queued: ["running", "canceled", "expired", "dead"],
  running: ["succeeded", "failed", "canceled", "dead", "awaiting_approval", "queued"],
  awaiting_approval: ["queued", "running", "canceled", "failed"],
  succeeded: [],
  failed: ["queued"],
  dead: ["queued"],
  canceled: [],
  expired: [],
};

/** Final states end a run: exactly one final event is written when a run enters one. */
export function isFinal(status: RunStatus): boolean {
  return FINAL_STATUSES.includes(status);
}

/** Whether the transition table allows `from` → `to`. */
export function canTransition(from: RunStatus, to: RunStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/** A run the user may cancel: any non-final state. */
export function isCancelable(status: RunStatus): boolean {
  return !isFinal(status);
}

/** A run that `POST /v1/runs/:id/retry` (or a DLQ redrive) may put back in the queue. */
export function isRetryable(status: RunStatus): boolean {
  return status === "failed" || status === "dead";
}

/** A run that a worker may claim now (subject to lease and not-before). */
export function isClaimable(status: RunStatus): boolean {
  return status === "queued" || status === "scheduled" || status === "running";
}

/** The event type written when a run enters a final state. */
export function finalEventType(status: RunStatus): `run.${"succeeded" | "failed" | "canceled" | "expired" | "dead"}` {
  switch (status) {
    case "succeeded":
    case "failed":
    case "canceled":
    case "expired":
    case "dead":
      return `run.${status}`;
    default:
      throw new Error(`${status} is not a final status`);
  }
}
