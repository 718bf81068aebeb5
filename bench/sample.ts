// What the benchmark records for one run (edgecrew) or one instance (Workflows).

export interface RunSample {
  id: string;
  /** The final status seen, or "timeout" / "error" when none was. */
  status: string;
  ok: boolean;
  /** Client clock: from just before the create request to the poll that saw success (ms). */
  endToEndMs: number;
  /** Client clock: how long the create request itself took (ms). */
  createMs: number | null;
  /** Server clock: created → finished as the service reports it (ms); null when unknown. */
  serverMs: number | null;
  /** edgecrew only: created → started, i.e. time spent waiting in the lane queue (ms). */
  queueWaitMs: number | null;
  /** From the service's "finished" stamp to the poll that saw it (ms; both clocks are this machine's). */
  seenAfterMs: number | null;
  error?: string;
}

/** One side of the comparison: how to do one run, and what it learnt about costs meanwhile. */
export interface Side<Costs> {
  name: string;
  /** Creates one run and follows it to a final state (or its time limit); warm-up runs are not `measured`. */
  run(measured: boolean): Promise<RunSample>;
  /** The cost figures of the runs so far (waits for reads still under way). */
  costs(): Promise<Costs>;
  /**
   * The side's own bookkeeping after a measured batch, awaited before anything else runs and
   * outside the batch's wall time and CPU: reading what the batch's runs cost is the benchmark's
   * work, not the runs'.
   */
  afterBatch?(): Promise<void>;
  /** CPU time (ms) the side's server processes have used so far; absent or NaN when unknown. */
  cpuMs?(): number;
}

/** Settings both sides run with, so their figures compare. */
export interface LoadSettings {
  runs: number;
  concurrency: number;
  warmup: number;
  pollMs: number;
  runTimeoutMs: number;
  /** Epoch ms after which nothing new starts and waiting stops. */
  deadline: number;
  input: string;
}

/** The sample of a run that was never started because the benchmark's time limit had passed. */
export function skipped(i: number): RunSample {
  return {
    id: `#${i}`,
    status: "skipped",
    ok: false,
    endToEndMs: 0,
    createMs: null,
    serverMs: null,
    queueWaitMs: null,
    seenAfterMs: null,
    error: "time limit reached",
  };
}

/** The sample of a run whose create or polling request failed. */
export function errored(id: string, started: number, e: unknown): RunSample {
  return {
    id,
    status: "error",
    ok: false,
    endToEndMs: Date.now() - started,
    createMs: null,
    serverMs: null,
    queueWaitMs: null,
    seenAfterMs: null,
    error: String(e),
  };
}
