// The benchmark's alternation: a side's own bookkeeping after a batch (`afterBatch`) runs outside
// the batch's wall time and CPU, and before the other side's batch starts.

import { describe, expect, it } from "vitest";
import { measure } from "../../bench/measure";
import type { LoadSettings, RunSample, Side } from "../../bench/sample";

const load: LoadSettings = {
  runs: 4,
  concurrency: 2,
  warmup: 0,
  pollMs: 1,
  runTimeoutMs: 1000,
  deadline: Number.POSITIVE_INFINITY,
  input: "",
};

const sample = (id: string): RunSample => ({
  id,
  status: "succeeded",
  ok: true,
  endToEndMs: 1,
  createMs: 1,
  serverMs: 1,
  queueWaitMs: null,
  seenAfterMs: null,
});

/** A side whose CPU clock advances by 1 per run and by 1000 per afterBatch, logging each call. */
function side(name: string, events: string[]): Side<null> & { cpu: number } {
  const s = {
    name,
    cpu: 0,
    async run() {
      s.cpu += 1;
      events.push(`${name}:run`);
      return sample(name);
    },
    async afterBatch() {
      s.cpu += 1000;
      events.push(`${name}:after`);
    },
    async costs() {
      return null;
    },
    cpuMs: () => s.cpu,
  };
  return s;
}

describe("bench measure", () => {
  it("runs afterBatch after each batch, outside its CPU, before the next side's batch", async () => {
    const events: string[] = [];
    const [a, b] = [side("a", events), side("b", events)];
    const out = await measure([a, b], load, 2);
    // Two rounds of 2 runs per side: the 1000 added by each afterBatch is not in any side's CPU.
    expect(out.map((m) => m.cpuMs)).toEqual([4, 4]);
    expect(out.map((m) => m.samples.length)).toEqual([4, 4]);
    const round = ["a:run", "a:run", "a:after", "b:run", "b:run", "b:after"];
    expect(events).toEqual([...round, ...round]);
  });
});
