// A queue consumer as GET /v1/workers shows it: one worker per isolate and lane, shared by every
// batch the isolate runs on that lane, with one heartbeat.
//
// - A batch that finds its worker unlisted (or its last beat expired) beats.
// - While runs are in flight, a beat goes out when their count changed and the last beat is at
//   least REPORT_MS old, and whenever a third of the last beat's TTL has passed.
// - A beat's TTL is SHORT_TTL_MS, or the long one (`ttlMs`, the lease) once the batch sending it
//   has run SHORT_TTL_MS: a long batch beats every third of the lease, not every 1.7 s.
// - The batch that leaves the worker idle stops it if the last beat had the long TTL. After a
//   short beat it does not: the worker drops out of the list at most SHORT_TTL_MS later, or its
//   next batch finds it still listed and carries on.
//
// So a stream of short batches (locally a lane's batches run one after the other, each idle
// moment between them) costs about one heartbeat call a second per isolate, not a beat and a stop
// per batch; a long batch, its beats every third of the lease and a stop. The count of runs in
// flight is at most a second late while the worker is busy, and an idle worker may show its last
// count for up to SHORT_TTL_MS.
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
/** The TTL of a beat from a batch younger than this, and how long it is (ms). */
export const SHORT_TTL_MS = 5000;

interface Worker {
  id: string;
  lane: Priority;
  inFlight: number;
  /** A beat was sent and no stop since (it may have expired: see `expired`). */
  listed: boolean;
  /** When the last beat was sent, its TTL and the count it reported. */
  beatAt: number;
  beatTtl: number;
  reported: number;
}

export interface LaneWorkerOptions {
  beats: Heartbeats;
  /** The long TTL (ms): a beat from a batch that has run SHORT_TTL_MS keeps the worker listed this long. */
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
      w = { id: `w-${lane}-${randomSecret(6)}`, lane, inFlight: 0, listed: false, beatAt: 0, beatTtl: 0, reported: 0 };
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
  private readonly startedAt: number;

  constructor(
    private readonly w: Worker,
    runs: number,
    private readonly opts: LaneWorkerOptions,
  ) {
    this.now = opts.now ?? Date.now;
    this.startedAt = this.now();
    w.inFlight += runs;
    // Unlisted or expired (a beat older than its TTL is older than a third of it): beats at once.
    this.tick();
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

  /** Beats when the worker's listing is stale (see the top of this file); called every REPORT_MS. */
  tick(): void {
    const w = this.w;
    if (w.inFlight === 0) return;
    const age = this.now() - w.beatAt;
    if (!w.listed || (w.reported !== w.inFlight && age >= REPORT_MS) || age >= w.beatTtl / 3) this.beat();
  }

  /**
   * Ends the batch: once its own beats are answered (one still in flight must not list the worker
   * again after it stopped), stops the worker if it is idle and its last beat had the long TTL,
   * else beats if the count is stale.
   */
  async end(): Promise<void> {
    clearInterval(this.timer);
    await Promise.all(this.calls);
    const w = this.w;
    if (w.inFlight > 0) this.tick();
    else if (w.listed && w.beatTtl > SHORT_TTL_MS) {
      w.listed = false;
      this.call("heartbeat.stop_failed", () => this.opts.beats.stop(w.id));
    }
    await Promise.all(this.calls);
  }

  private beat(): void {
    const w = this.w;
    w.listed = true;
    w.beatAt = this.now();
    w.beatTtl = w.beatAt - this.startedAt >= SHORT_TTL_MS ? Math.max(this.opts.ttlMs, SHORT_TTL_MS) : SHORT_TTL_MS;
    w.reported = w.inFlight;
    this.call("heartbeat.failed", () => this.opts.beats.beat(w.id, w.lane, w.reported, w.beatTtl));
  }

  /** Liveness reporting never delays nor fails a batch: a failed call is logged. */
  private call(event: string, fn: () => Promise<void>): void {
    this.calls.push(
      fn().catch((e: unknown) => log.warn(event, "heartbeat call failed", { worker: this.w.id, lane: this.w.lane, error: errorText(e) })),
    );
  }
}
