// A run nobody follows live commits its plan with its first step (one request and one journal page
// fewer); a run a stream follows commits the plan as soon as it is made. Either way the log holds
// the same events in the same order, and a worker lost in step 1 only costs the plan again.

import { describe, expect, it } from "vitest";
import { ADMIN, allEvents, api, createRun, json, newTenant, waitForRun } from "../helpers/api";
import { openStream } from "../helpers/ws";

const INPUT = "- look up !slow 300\n- summarise";
const TYPES = [
  "run.created",
  "run.queued",
  "run.started",
  "model.call",
  "credits.charged",
  "plan.created",
  "step.started",
  "model.call",
  "credits.charged",
  "step.completed",
  "step.started",
  "model.call",
  "credits.charged",
  "step.completed",
  "run.succeeded",
];

/** The commit time of the first event of `type` (of step `step`, when given). */
const tsOf = (events: any[], type: string, step?: number) =>
  Date.parse(events.find((e) => e.type === type && (step === undefined || e.data?.step === step)).ts);

describe("the plan committed with the first step", () => {
  it("an unfollowed run commits its plan and step 1 together: the same log, one request and one page fewer", async () => {
    const t = await newTenant(1000);
    const run = await createRun({ agent: "general", input: INPUT }, t.key);
    expect((await waitForRun(run.id, { key: t.key })).status).toBe("succeeded");
    const events = await allEvents(run.id, t.key);
    expect(events.map((e) => e.type)).toEqual(TYPES);
    expect(events.map((e) => e.seq)).toEqual(TYPES.map((_, i) => i + 1));
    // One commit: the plan's events carry the time step 1 was committed, after its 300 ms.
    expect(tsOf(events, "plan.created")).toBe(tsOf(events, "step.completed", 1));
    const cost = await json(api(`/v1/admin/runs/${run.id}/cost`, { key: ADMIN }));
    expect(cost).toMatchObject({ run_requests: 4, run_rows: 6 });
  });

  it("a run followed by a stream from before its claim commits the plan as soon as it is made", async () => {
    const t = await newTenant(1000);
    // Scheduled a moment ahead, so the stream is open before a worker claims it.
    const runAt = new Date(Date.now() + 1500).toISOString();
    const run = await createRun({ agent: "general", input: INPUT, run_at: runAt }, t.key);
    const stream = await openStream(run.id, { key: t.key });
    expect((await waitForRun(run.id, { key: t.key })).status).toBe("succeeded");
    await stream.client!.closed;
    const events = await allEvents(run.id, t.key);
    expect(stream.client!.messages).toEqual(events);
    expect(events.map((e) => e.type)).toEqual(["run.created", "run.scheduled", ...TYPES.slice(2)]);
    // Step 1 took 300 ms after the plan's own commit.
    expect(tsOf(events, "step.completed", 1) - tsOf(events, "plan.created")).toBeGreaterThanOrEqual(300);
  });

  it("a worker lost during step 1 loses the plan with it: the next attempt plans again and commits it alone", async () => {
    const t = await newTenant(1000);
    const run = await createRun({ agent: "general", input: "- once !crash" }, t.key);
    const done = await waitForRun(run.id, { key: t.key, timeoutMs: 30_000 });
    expect(done.status).toBe("succeeded");
    const events = await allEvents(run.id, t.key);
    expect(events.filter((e) => e.type === "plan.created")).toHaveLength(1);
    expect(events.filter((e) => e.type === "step.completed")).toHaveLength(1);
    // Charged for what was committed: the second plan (a call and the run's fee) and step 1 once.
    expect(done.credits.spent).toBe(3);
    expect(done.steps[0]).toMatchObject({ status: "completed" });
  }, 40_000);
});
