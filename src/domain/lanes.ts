// Priority lanes and their queues, defined once: the queue binding of each lane, the queues a
// scheduled delivery may name, the lane a consumed queue's name belongs to, and the queues' delay limit.

import { PRIORITIES, type Priority } from "./types";

/** The queue binding (wrangler.toml `[[queues.producers]]`) of each priority lane. */
export const LANE_BINDINGS = { high: "RUNS_HIGH", normal: "RUNS_NORMAL", low: "RUNS_LOW" } as const satisfies Record<Priority, string>;
export type LaneBinding = (typeof LANE_BINDINGS)[Priority];

/** The queue bindings a scheduled delivery may name: the three lanes and the events queue. */
export const DELIVERABLE_QUEUES = [...PRIORITIES.map((p) => LANE_BINDINGS[p]), "EVENTS"] as const;
export type DeliverableQueue = LaneBinding | "EVENTS";

/** True when `name` is one of DELIVERABLE_QUEUES. */
export function isDeliverableQueue(name: string): name is DeliverableQueue {
  return (DELIVERABLE_QUEUES as readonly string[]).includes(name);
}

/** Cloudflare Queues' longest message delay (`delaySeconds`): 12 h, in ms. */
export const QUEUE_DELAY_MAX_MS = 12 * 3600 * 1000;

/** A delay in ms as the queue's `delaySeconds`: rounded up, capped at QUEUE_DELAY_MAX_MS. */
export function queueDelaySeconds(delayMs: number): number {
  return Math.min(Math.max(0, Math.ceil(delayMs / 1000)), QUEUE_DELAY_MAX_MS / 1000);
}

export type QueueKind = { kind: "lane"; lane: Priority } | { kind: "dlq" } | { kind: "events" };

/** Classifies a consumed queue by its name's suffix (`-runs-high`, `-dlq`, `-events`, ...). */
export function queueKind(name: string): QueueKind | null {
  const lane = PRIORITIES.find((p) => name.endsWith(`-runs-${p}`));
  if (lane) return { kind: "lane", lane };
  if (name.endsWith("-dlq")) return { kind: "dlq" };
  if (name.endsWith("-events")) return { kind: "events" };
  return null;
}
