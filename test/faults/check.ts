// The assertion every fault test ends with: waits for the run's final state, audits its log and
// records the row of the fault table (report.ts). Shared by the workers and workers-external suites.

import { expect } from "vitest";
import { allEvents, api, json, waitForRun } from "../helpers/api";
import { audit, record } from "./report";

export async function check(
  fault: string,
  expected: string,
  runId: string,
  key: string | undefined,
  extra: () => Promise<boolean> | boolean = () => true,
) {
  let run: any = null;
  try {
    run = await waitForRun(runId, { key, timeoutMs: 30_000 });
  } catch {
    run = null; // lost: the run never reached a final state
  }
  const events = run ? await allEvents(runId, key) : [];
  const a = audit(events);
  const ok = run !== null && run.status === expected && (await extra());
  const row = {
    fault,
    expected,
    outcome: run?.status ?? "lost",
    runsLost: run ? 0 : 1,
    ...a,
    pass: ok && a.stepsCommittedTwice === 0 && a.eventsDuplicated === 0,
  };
  record(row);
  expect(row).toMatchObject({ outcome: expected, runsLost: 0, stepsCommittedTwice: 0, eventsDuplicated: 0, pass: true });
  return { run, events };
}

/** The tenant's credits are whole: nothing held, everything the run spent charged once, the total unchanged. */
export async function chargedOnce(runId: string, key: string, total: number): Promise<boolean> {
  const run = await json(api(`/v1/runs/${runId}`, { key }));
  const credits = await json(api("/v1/credits", { key }));
  const entries = (await json(api("/v1/credits/ledger?limit=100", { key }))).entries.filter((e: any) => e.run_id === runId);
  const charged = entries.filter((e: any) => e.kind === "charge").reduce((sum: number, e: any) => sum + e.amount, 0);
  return (
    run.credits.spent > 0 &&
    credits.spent_total === run.credits.spent &&
    charged === run.credits.spent &&
    credits.reserved === 0 &&
    credits.available + credits.reserved + credits.spent_total === total &&
    entries.filter((e: any) => e.kind === "reserve").length === 1 &&
    entries.filter((e: any) => e.kind === "release").length === 1
  );
}
