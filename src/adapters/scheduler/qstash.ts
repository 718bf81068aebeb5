// The Scheduler port over QStash: each delivery is published as JSON to this deployment's
// `/internal/qstash/deliver`, not before its time, deduplicated by its key.
import { Client } from "@upstash/qstash";
import type { ScheduledDelivery, Scheduler } from "./port";

/** Path QStash deliveries arrive at; the receiver verifies them against `${publicUrl}${path}`. */
export const QSTASH_DELIVER_PATH = "/internal/qstash/deliver";

/** Plain configuration of qstashScheduler (values from the environment, read elsewhere). */
export interface QStashSchedulerConfig {
  /** QSTASH_TOKEN. */
  token: string;
  /** QSTASH_URL. Default https://qstash.upstash.io. */
  baseUrl?: string;
  /** PUBLIC_URL of this deployment, e.g. https://edgecrew.example.workers.dev. */
  publicUrl: string;
  /** Delivery retries QStash makes when the endpoint fails. Default 3. */
  retries?: number;
}

/** The URL QStash delivers to for a deployment served at `publicUrl`. */
export function qstashDeliverUrl(publicUrl: string): string {
  return `${publicUrl.replace(/\/+$/, "")}${QSTASH_DELIVER_PATH}`;
}

/** A Scheduler that publishes through QStash. Errors carry QStash's answer, never the token. */
export function qstashScheduler(config: QStashSchedulerConfig): Scheduler {
  const client = new Client({
    token: config.token,
    baseUrl: config.baseUrl ?? "https://qstash.upstash.io",
    enableTelemetry: false,
    // Never switch to a local dev server because of a QSTASH_DEV variable.
    devMode: false,
  });
  const url = qstashDeliverUrl(config.publicUrl);
  return {
    async schedule(delivery: ScheduledDelivery) {
      if (!delivery.key) throw new Error("scheduled delivery needs a key");
      await client.publishJSON({
        url,
        body: delivery,
        // QStash takes whole seconds; rounding up never delivers early.
        notBefore: Math.ceil(delivery.at / 1000),
        deduplicationId: delivery.key,
        retries: config.retries ?? 3,
      });
    },
  };
}
