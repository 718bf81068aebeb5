// The Scheduler port: deliver a queue message later than the queue's own delay allows.
// Adapters: durable (the run's Durable Object alarm), qstash.

export interface ScheduledDelivery {
  /** Dedup key: the same key is delivered at most once. */
  key: string;
  /** When to deliver, epoch ms. */
  at: number;
  /** Which queue (a binding name: RUNS_HIGH, RUNS_NORMAL, RUNS_LOW, EVENTS). */
  queue: string;
  body: unknown;
}

export interface Scheduler {
  schedule(delivery: ScheduledDelivery): Promise<void>;
}
