// Delays past the queue's limit: a run's lane message handed to the external Scheduler (QStash)
// when configured. Without it callers keep the run's own alarm (`wake_at`) or a capped queue delay
// rather than the embedded Scheduler: the run's object is already there, so no other object is paid.

import { externalScheduler } from "../deps";
import type { Priority } from "../domain/types";
import type { RunMessage } from "./protocol";

/** The queue binding name of a priority lane, as scheduled deliveries name it. */
export function laneBindingName(priority: Priority): "RUNS_HIGH" | "RUNS_NORMAL" | "RUNS_LOW" {
  return priority === "high" ? "RUNS_HIGH" : priority === "low" ? "RUNS_LOW" : "RUNS_NORMAL";
}

/**
 * Publishes `body` to its lane `delayMs` from now through the Scheduler, deduplicated by run,
 * generation and due time. False when QStash is not configured; throws when it fails.
 */
export async function scheduleLaneMessage(env: Env, body: RunMessage, priority: Priority, delayMs: number): Promise<boolean> {
  const later = externalScheduler(env);
  if (!later) return false;
  const at = Date.now() + delayMs;
  await later.schedule({ key: `${body.run}-g${body.gen}-${at}`, at, queue: laneBindingName(priority), body });
  return true;
}
