// Sending a run's lane message, now or later: the lane's queue up to its delay limit; past it the
// external Scheduler (QStash) when configured. Without one the caller keeps the run's own alarm
// (`wake_at`) or a capped queue delay rather than the embedded Scheduler: the run's object is
// already there, so no other object is paid.

import { config, externalScheduler, laneQueue } from "../deps";
import { LANE_BINDINGS, queueDelaySeconds } from "../domain/lanes";
import type { Priority } from "../domain/types";
import type { RunMessage } from "./protocol";

/**
 * Publishes `body` to its lane `delayMs` from now through the Scheduler, deduplicated by run,
 * generation and due time. False when QStash is not configured; throws when it fails.
 */
export async function scheduleLaneMessage(env: Env, body: RunMessage, priority: Priority, delayMs: number): Promise<boolean> {
  const later = externalScheduler(env);
  if (!later) return false;
  const at = Date.now() + delayMs;
  await later.schedule({ key: `${body.run}-g${body.gen}-${at}`, at, queue: LANE_BINDINGS[priority], body });
  return true;
}

/**
 * Sends a lane message `delayMs` (ms) from now: `queued` when the lane's queue took it, `scheduled`
 * when the external Scheduler did (a delay past `queueDelayLimitMs`), `too_far` when the delay is
 * past the limit and no Scheduler is configured (nothing was sent). Throws when a send fails.
 */
export async function sendLaneMessage(
  env: Env,
  body: RunMessage,
  priority: Priority,
  delayMs: number,
): Promise<"queued" | "scheduled" | "too_far"> {
  if (delayMs > config(env).queueDelayLimitMs) return (await scheduleLaneMessage(env, body, priority, delayMs)) ? "scheduled" : "too_far";
  await laneQueue(env, priority).send(body, { delaySeconds: queueDelaySeconds(delayMs), contentType: "json" });
  return "queued";
}
