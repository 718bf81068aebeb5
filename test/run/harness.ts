// A run's transitions over a real SqlStorage, without the queue or the clock: a fresh RunObject's
// storage holds a Journal, RunEngine and RunControl built by the test, driven with explicit `now`s.

import { env, runInDurableObject } from "cloudflare:test";
import { BUILTIN_AGENTS } from "../../src/agent/agents";
import type { AgentProfile } from "../../src/domain/types";
import { ApprovalStore } from "../../src/run/approvals";
import { RunControl } from "../../src/run/control";
import { type EngineConfig, RunEngine, type Transition } from "../../src/run/engine";
import type { Journal } from "../../src/run/journal";
import { openJournal } from "../../src/run/parts";
import type { InitParams } from "../../src/run/protocol";

/** The clock the tests start from (epoch ms). */
export const T0 = Date.UTC(2030, 0, 1);
export const TENANT = "t-unit";
export const CONFIG: EngineConfig = { leaseMs: 60_000, retry: { maxAttempts: 3, baseMs: 1000, maxMs: 8000 }, random: () => 0.5 };

export interface Harness {
  journal: Journal;
  engine: RunEngine;
  control: RunControl;
  approvals: ApprovalStore;
  /** Applies a transition in one SQLite transaction, as the run object does. */
  tx<R>(fn: () => Transition<R>): Transition<R>;
}

/** Init parameters of a run of the built-in general agent, created at T0. */
export function initParams(over: Partial<InitParams> = {}, agent: Partial<AgentProfile> = {}): InitParams {
  return {
    id: `run_${crypto.randomUUID().replace(/-/g, "").slice(0, 21)}`,
    tenantId: TENANT,
    agent: { ...BUILTIN_AGENTS.general!, ...agent },
    priority: "normal",
    input: "- one\n- two",
    maxCredits: 100,
    metadata: null,
    webhookUrl: null,
    runAt: null,
    createdAt: T0,
    ...over,
  };
}

/** Runs `fn` inside a fresh run object's storage with a run created from `init`. */
export async function withRun<T>(
  fn: (h: Harness) => T | Promise<T>,
  init: InitParams = initParams(),
  cfg: EngineConfig = CONFIG,
): Promise<T> {
  const stub = env.RUNS.get(env.RUNS.idFromName(`unit-${crypto.randomUUID()}`));
  return runInDurableObject(stub, async (_obj, state) => {
    // Opened as the object opens it: a new object's table comes with its first page.
    const journal = openJournal(state);
    const approvals = new ApprovalStore(journal);
    const engine = new RunEngine(journal, cfg, approvals);
    const control = new RunControl(engine, journal, cfg, approvals);
    const tx = <R>(f: () => Transition<R>): Transition<R> =>
      state.storage.transactionSync(() => {
        const out = f();
        journal.flush();
        return out;
      });
    tx(() => control.init(init));
    return fn({ journal, engine, control, approvals, tx });
  });
}

/** A unit report with no events, charges or usage. */
export const EMPTY_REPORT = {
  events: [],
  charges: [],
  usage: { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
  feeCharged: false,
};

/** Event types appended since seq `after`. */
export function typesAfter(h: Harness, after = 0): string[] {
  return h.journal.events(after, 1000).map((e) => e.type);
}
