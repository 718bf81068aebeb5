// What GET /metrics answers: the metrics store's shards merged, plus what is read when scraped
// (queue consumers with a live heartbeat, by lane), in the Prometheus text format.

import type { WorkerBeat } from "../adapters/heartbeats/port";
import { heartbeats } from "../deps";
import { PRIORITIES } from "../domain/types";
import { errorText, log } from "./log";
import { FAMILIES, type Sample } from "./metrics";
import { collectMetrics } from "./metrics-object";
import { renderPrometheus } from "./prometheus";

/** `edgecrew_workers_alive` for every lane (0 included); beats of an unknown lane are left out. */
export function workerSamples(beats: WorkerBeat[]): Sample[] {
  return PRIORITIES.map((lane) => ({
    name: "edgecrew_workers_alive",
    labels: { lane },
    value: beats.filter((b) => b.lane === lane).length,
  }));
}

/**
 * The live-worker gauges; when the heartbeats cannot be read the family is left empty (and the
 * failure logged) rather than failing the scrape: an absent series is what the "no worker
 * heartbeat" alert treats as no worker.
 */
async function liveWorkers(env: Env): Promise<Sample[]> {
  try {
    return workerSamples(await heartbeats(env).list());
  } catch (e) {
    log.error("heartbeats.read_failed", "GET /metrics: heartbeats unreadable; edgecrew_workers_alive left out", { error: errorText(e) });
    return [];
  }
}

/** The Prometheus text of every family. */
export async function scrapeMetrics(env: Env): Promise<string> {
  const [stored, workers] = await Promise.all([collectMetrics(env.METRICS), liveWorkers(env)]);
  return renderPrometheus(FAMILIES, [...stored, ...workers]);
}
