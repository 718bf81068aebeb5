// A worker the fault tests drive by hand, so they know the moment between two units: it claims
// the run, commits its plan, and leaves the step commits to the test.

import { expect } from "vitest";
import type { ClaimResult, CommitResult, UnitReport } from "../../src/run/protocol";
import type { RunObject } from "../../src/run/run-object";

const USAGE = { input_tokens: 100, output_tokens: 20, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };

/** What a unit reports when it commits: one model call charged 3 credits under `key`. */
export function unitReport(key: string): UnitReport {
  return { events: [], charges: [{ key, amount: 3 }], usage: USAGE, feeCharged: true };
}

/** Claims run `runId` (generation 1) as `worker` and commits a plan of `titles`; returns the lease token. */
export async function claimAndPlan(stub: DurableObjectStub<RunObject>, runId: string, worker: string, titles: string[]): Promise<string> {
  const claim = (await stub.claim({ gen: 1, worker })) as ClaimResult;
  expect(claim.status).toBe("claimed");
  if (claim.status !== "claimed") throw new Error(`run ${runId} was not claimed: ${claim.status}`);
  const plan = titles.map((title) => ({ title, instructions: title }));
  const planned = (await stub.commit({
    kind: "plan",
    token: claim.token,
    plan,
    report: unitReport(`${runId}:1:0:1:1`),
    handoff: false,
  })) as CommitResult;
  expect(planned.status).toBe("continue");
  return claim.token;
}
