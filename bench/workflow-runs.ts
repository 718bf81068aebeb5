// The Workflows side of the benchmark: each run is one instance of the baseline Workflow
// (bench/workflow) doing the same two-step scripted run, followed to completion by polling.

import { call, pollUntil } from "./http";
import { errored, type LoadSettings, type RunSample, type Side } from "./sample";

/** `InstanceStatus` as the baseline's fetch handler returns it. */
interface InstanceStatus {
  status: string;
  error?: { name: string; message: string };
  output?: { created_at: number; finished_at: number; steps_persisted: number; state_bytes: number };
}

/** What the successful instances persisted, one entry per instance. */
export interface WorkflowCosts {
  /** step.do results persisted and their JSON size (bytes). */
  persisted: { steps: number; bytes: number }[];
}

const FINAL = new Set(["complete", "errored", "terminated"]);

async function oneInstance(origin: string, load: LoadSettings): Promise<{ sample: RunSample; steps: number; bytes: number }> {
  const started = Date.now();
  let id = "";
  try {
    id = (await call<{ id: string }>(origin, "/instances", { body: { input: load.input } })).id;
    const createMs = Date.now() - started;
    const deadline = Math.min(load.deadline, started + load.runTimeoutMs);
    const seen = await pollUntil(
      () => call<InstanceStatus>(origin, `/instances/${id}`),
      (s) => FINAL.has(s.status),
      load.pollMs,
      deadline,
    );
    const s = seen.value;
    const status = seen.timedOut || !s ? "timeout" : s.status;
    const out = s?.output;
    const sample: RunSample = {
      id,
      status,
      ok: status === "complete",
      endToEndMs: seen.at - started,
      createMs,
      serverMs: out ? out.finished_at - out.created_at : null,
      queueWaitMs: null,
      seenAfterMs: out ? seen.at - out.finished_at : null,
      ...(s?.error ? { error: `${s.error.name}: ${s.error.message}` } : {}),
    };
    return { sample, steps: out?.steps_persisted ?? 0, bytes: out?.state_bytes ?? 0 };
  } catch (e) {
    return { sample: errored(id, started, e), steps: 0, bytes: 0 };
  }
}

/** The Workflows side against the baseline Worker at `origin`. */
export function workflowSide(origin: string, load: LoadSettings): Side<WorkflowCosts> {
  const persisted: { steps: number; bytes: number }[] = [];
  return {
    name: "Workflows",
    async run(measured) {
      const r = await oneInstance(origin, load);
      if (measured && r.sample.ok) persisted.push({ steps: r.steps, bytes: r.bytes });
      return r.sample;
    },
    async costs() {
      return { persisted };
    },
  };
}
