// The Scheduler port: deliver a queue message later than the queue's own delay allows.
// Adapters: durable (an OpsObject instance and its alarm), qstash.

/** Queue binding names a ScheduledDelivery may name (defined with the lanes in src/domain/lanes.ts). */
export { DELIVERABLE_QUEUES, isDeliverableQueue } from "../../domain/lanes";

/** One message to hand to a queue at a given time. */
export interface ScheduledDelivery {
  /** Dedup key: the same key is delivered at most once. */
  key: string;
  /** When to deliver, epoch ms. */
  at: number;
  /** Which queue (a binding name: RUNS_HIGH, RUNS_NORMAL, RUNS_LOW, EVENTS). */
  queue: string;
  body: unknown;
}

/** Delivers queue messages later: never before `at`, once per key (a crash mid-send may repeat one, as queues do). */
export interface Scheduler {
  /** Records the delivery (a known key is ignored); rejects when it cannot be accepted. */
  schedule(delivery: ScheduledDelivery): Promise<void>;
}
