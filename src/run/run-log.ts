// Which of a run's journal events also become structured log lines: status changes, retries,
// failed steps, approvals and operational notes. Per-call events (model, tool, credits) do not.

import type { RunEvent } from "../domain/types";
import { type LogFields, log } from "../ops/log";
import type { RunRow } from "./journal";

/** The log event name of a journal event type, or null when the type is not logged. */
export function logEventName(type: RunEvent["type"]): string | null {
  if (type.startsWith("run.")) return "run.transition";
  switch (type) {
    case "retry.scheduled":
      return "run.retry";
    case "step.failed":
      return "run.step_failed";
    case "approval.requested":
    case "approval.decided":
      return type;
    case "log":
      return "run.note";
    default:
      return null;
  }
}

/** The context an event's data adds to its line: codes, step, attempts; never outputs or inputs. */
function context(e: RunEvent): Record<string, unknown> {
  const data = (e.data ?? {}) as Record<string, unknown>;
  const error = data.error as { code?: unknown } | undefined;
  const out: Record<string, unknown> = {};
  for (const k of ["step", "attempt", "attempts", "next_attempt", "delay_ms", "code", "reason", "run_at"]) {
    if (data[k] !== undefined) out[k] = data[k];
  }
  if (out.code === undefined && error && typeof error.code === "string") out.code = error.code;
  return out;
}

/** Writes one line per loggable event of `run`, at the event's own level. */
export function logRunEvents(run: RunRow, events: readonly RunEvent[]): void {
  for (const e of events) {
    const name = logEventName(e.type);
    if (!name) continue;
    const fields: LogFields = {
      run_id: run.id,
      tenant: run.tenant_id,
      seq: e.seq,
      type: e.type,
      agent: run.agent.name,
      priority: run.priority,
      run_attempt: run.attempts,
      ...(name === "run.transition" ? { status: e.type.slice("run.".length) } : {}),
      ...context(e),
    };
    log[e.level](name, e.message, fields);
  }
}
