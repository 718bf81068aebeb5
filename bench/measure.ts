// Runs the sides of the comparison in alternating rounds (A, B, A, B, …) with the same load, so
// that the load other processes put on the shared machine falls on both sides alike.

import { loadavg } from "node:os";
import { pool } from "./pool";
import { type LoadSettings, type RunSample, type Side, skipped } from "./sample";

/** What one side did over all rounds. */
export interface Measured {
  samples: RunSample[];
  /** Wall time of its measured batches, added up (ms). */
  wallMs: number;
  /** The machine's 1-minute load average at the end of each of its batches. */
  loadAvg: number[];
  /** Server CPU time used during its measured batches (ms; NaN when unknown). */
  cpuMs: number;
}

/**
 * Warms each side up with `load.warmup` unmeasured runs, then splits `load.runs` per side into
 * `rounds` batches and runs them side after side, each with at most `load.concurrency` in flight.
 * A batch stops starting runs once it has used its share of the time left before `load.deadline`;
 * the runs it did not start are recorded as skipped.
 */
export async function measure(sides: Side<unknown>[], load: LoadSettings, rounds: number): Promise<Measured[]> {
  for (const side of sides) await pool(load.warmup, load.concurrency, () => side.run(false));
  const out: Measured[] = sides.map(() => ({ samples: [], wallMs: 0, loadAvg: [], cpuMs: 0 }));
  let done = 0;
  for (let r = 0; r < rounds; r++) {
    const count = Math.ceil((load.runs - done) / (rounds - r));
    for (const [i, side] of sides.entries()) {
      const m = out[i]!;
      const t0 = Date.now();
      const cpu0 = side.cpuMs?.() ?? Number.NaN;
      // Each remaining batch gets an equal share of the time left, so no side is starved.
      const batchesLeft = (rounds - r) * sides.length - i;
      const stopStarting = t0 + Math.max(0, load.deadline - t0) / batchesLeft;
      const batch = await pool(count, load.concurrency, async (k) => (Date.now() >= stopStarting ? skipped(done + k) : side.run(true)));
      m.wallMs += Date.now() - t0;
      m.cpuMs += (side.cpuMs?.() ?? Number.NaN) - cpu0;
      m.loadAvg.push(loadavg()[0]!);
      m.samples.push(...batch);
      await side.afterBatch?.();
    }
    done += count;
  }
  return out;
}
