// The producer side of scheduled deliveries: a due delivery's body sent to the queue it names.
// Used by both Scheduler adapters when a delivery falls due (the QStash route, the embedded alarm).

import { DELIVERABLE_QUEUES, isDeliverableQueue, queueDelaySeconds } from "../../domain/lanes";

/**
 * Sends a due delivery's body to its queue (a binding name, one of DELIVERABLE_QUEUES) as JSON.
 * Should it be early (`at` still ahead, epoch ms), the queue's own delay covers the rest, capped
 * at the queue's 12 h limit. Throws when the queue is unknown or refuses the message.
 */
export async function sendToQueue(env: Env, name: string, body: unknown, at: number, now = Date.now()): Promise<void> {
  if (!isDeliverableQueue(name)) throw new Error(`unknown queue ${name}; expected one of ${DELIVERABLE_QUEUES.join(", ")}`);
  const early = queueDelaySeconds(at - now);
  await env[name].send(body, { contentType: "json", ...(early > 0 ? { delaySeconds: early } : {}) });
}
