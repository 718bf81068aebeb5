// A queue consumer as GET /v1/workers shows it: one worker per isolate and lane, shared by every
// batch the isolate runs on that lane, with one heartbeat. The batch that finds its worker idle
// beats; while runs are in flight, a beat goes out when the count of runs in flight changed and
// the last beat is at least REPORT_MS old, and at least every `beatEveryMs`; the batch that
// leaves the worker idle stops it. A busy isolate so calls the heartbeat store about once a
// second, where a worker per batch beat and stopped twice per batch (docs/benchmarks.md).
//
// Every call is made, and awaited before it ends, by the invocation that decides it: invocations
// share these counters and nothing else (Workers does not let one request use another's I/O). So
// the batch that stops the worker cannot wait for a beat another batch still has in flight; if
// that beat lands after the stop, the worker is listed again until the beat's TTL runs out. Both
// calls would have to be within a few milliseconds of each other, and the listing corrects itself.

import type { Heartbeats } from "../adapters/heartbeats/port";
import { randomSecret } from "../domain/ids";
import type { Priority } from "../domain/types";
import { errorText, log } from "../ops/log";

/** How stale the count of runs in flight a busy worker reports may get (ms). */
export const REPORT_MS = 1000;

interface Worker {
  id: string;
  lane: Priority;
  inFlight: number;
  /** A beat was sent and no stop since. */
  listed: boolean;
  /** When the last beat was sent, and the count it reported. */
  beatAt: number;
  reported: number;
}

export interface LaneWorkerOptions {
  beats: Heartbeats;
  /** How long a beat keeps the worker listed (ms). */
  ttlMs: number;
  now?: () => number;
}

/** The workers of one isolate, by lane (the consumer keeps one registry per isolate). */
export class LaneWorkers {
  private readonly byLane = new Map<Priority, Worker>();

  /** Starts a batch of `runs` runs on `lane`, counted in flight until each ends (`LaneBatch.runEnded`). */
  batch(lane: Priority, runs: number, opts: LaneWorkerOptions): LaneBatch {
    let w = this.byLane.get(lane);
    if (!w) {
      w = { id: `w-${lane}-${randomSecret(6)}`, lane, inFlight: 0, listed: false, beatAt: 0, reported: 0 };
      this.byLane.set(lane, w);
    }
    return new LaneBatch(w, runs, opts);
  }
}

/** One invocation's batch on its lane's worker. */
export class LaneBatch {
  private readonly calls: Promise<void>[] = [];
  private readonly timer: ReturnType<typeof setInterval>;
  private readonly now: () => number;
  private readonly beatEveryMs: number;

  constructor(
    private readonly w: Worker,
    runs: number,
    private readonly opts: LaneWorkerOptions,
  ) {
    this.now = opts.now ?? Date.now;
    this.beatEveryMs = Math.max(REPORT_MS, opts.ttlMs / 3);
    w.inFlight += runs;
    if (!w.listed) {
      w.listed = true;
      this.beat();
    }
    this.timer = setInterval(() => this.tick(), REPORT_MS);
  }

  /** The worker's id: the one GET /v1/workers lists and `run.started` names. */
  get worker(): string {
    return this.w.id;
  }

  /** One of the batch's runs ended. */
  runEnded(): void {
    this.w.inFlight--;
  }

  /** Beats when the worker's reported count is stale (see the top of this file); called every REPORT_MS. */
  tick(): void {
    const w = this.w;
    if (!w.listed || w.inFlight === 0) return;
    const age = this.now() - w.beatAt;
    if ((w.reported !== w.inFlight && age >= REPORT_MS) || age >= this.beatEveryMs) this.beat();
  }

  /**
   * Ends the batch: once its own beats are answered (one still in flight must not list the worker
   * again after it stopped), stops the worker if it is idle, else beats if the count is stale.
   */
  async end(): Promise<void> {
    clearInterval(this.timer);
    await Promise.all(this.calls);
    const w = this.w;
    if (w.inFlight === 0 && w.listed) {
      w.listed = false;
      this.call("heartbeat.stop_failed", () => this.opts.beats.stop(w.id));
    } else this.tick();
    await Promise.all(this.calls);
  }

  private beat(): void {
    const w = this.w;
    w.beatAt = this.now();
    w.reported = w.inFlight;
    this.call("heartbeat.failed", () => this.opts.beats.beat(w.id, w.lane, w.reported, this.opts.ttlMs));
  }

  /** Liveness reporting never delays nor fails a batch: a failed call is logged. */
  private call(event: string, fn: () => Promise<void>): void {
    this.calls.push(
      fn().catch((e: unknown) => log.warn(event, "heartbeat call failed", { worker: this.w.id, lane: this.w.lane, error: errorText(e) })),
    );
  }
}
