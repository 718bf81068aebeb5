// Run statuses as pure predicates: the transition table and what a status allows. The statuses
// themselves (RUN_STATUSES, FINAL_STATUSES) are defined once in src/domain/types.ts.

import { FINAL_STATUSES, type FinalStatus, type RunStatus } from "../domain/types";

/** Which statuses each status may move to (the lifecycle diagram in README.md). */
export const TRANSITIONS: Readonly<Record<RunStatus, readonly RunStatus[]>> = {
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
export function isFinal(status: RunStatus): status is FinalStatus {
  return (FINAL_STATUSES as readonly RunStatus[]).includes(status);
}

/** Whether the transition table allows `from` → `to`. */
export function canTransition(from: RunStatus, to: RunStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/** A run that `POST /v1/runs/:id/retry` (or a DLQ redrive) may put back in the queue. */
export function isRetryable(status: RunStatus): boolean {
  return status === "failed" || status === "dead";
}

/** The event type written when a run enters a final state. */
export function finalEventType(status: FinalStatus): `run.${FinalStatus}` {
  return `run.${status}`;
}
