// The producer side of scheduled deliveries: the queue binding a delivery names, and its send.
// Used by both Scheduler adapters when a delivery falls due (the QStash route, the embedded alarm).
import { DELIVERABLE_QUEUES } from "../adapters/scheduler/port";

/** The queue binding called `name` (one of DELIVERABLE_QUEUES), or null. */
export function deliverableQueue(env: Env, name: string): Queue | null {
  switch (name) {
    case "RUNS_HIGH":
      return env.RUNS_HIGH;
    case "RUNS_NORMAL":
      return env.RUNS_NORMAL;
    case "RUNS_LOW":
      return env.RUNS_LOW;
    case "EVENTS":
      return env.EVENTS;
    default:
      return null;
  }
}

/**
 * Sends a due delivery's body to its queue as JSON. Should it be early (`at` still ahead, epoch
 * ms), the queue's own delay covers the rest, capped at its 12 h limit. Throws when the queue is
 * unknown or refuses the message.
 */
export async function sendToQueue(env: Env, name: string, body: unknown, at: number, now = Date.now()): Promise<void> {
  const queue = deliverableQueue(env, name);
  if (!queue) throw new Error(`unknown queue ${name}; expected one of ${DELIVERABLE_QUEUES.join(", ")}`);
  const early = Math.max(0, Math.ceil((at - now) / 1000));
  await queue.send(body, { contentType: "json", ...(early > 0 ? { delaySeconds: Math.min(early, 43_200) } : {}) });
}
