// Retrying a failed run with a correction: a new input, a step to run again from, or both.

import { describe, expect, it } from "vitest";
import { allEvents, api, createRun, json, newTenant, waitForRun } from "../helpers/api";

/** Model calls the run's log shows for plan step `step` (0: the planner). */
async function modelCalls(id: string, key: string, step: number): Promise<number> {
  return (await allEvents(id, key)).filter((e) => e.type === "model.call" && e.data.step === step).length;
}

/** Times the run's log shows plan step `step` started. */
async function starts(id: string, key: string, step: number): Promise<number> {
  return (await allEvents(id, key)).filter((e) => e.type === "step.started" && e.data.step === step).length;
}

/** A run of `input` that ends failed, with its tenant's key. */
async function failedRun(input: string): Promise<{ id: string; key: string; keyId: string; tenant: string }> {
  const t = await newTenant();
  const created = await createRun({ agent: "general", input }, t.key);
  const run = await waitForRun(created.id, { key: t.key });
  expect(run.status).toBe("failed");
  return { id: created.id, key: t.key, keyId: t.keyId, tenant: t.id };
}

const retry = (id: string, key: string, json?: unknown) =>
  api(`/v1/runs/${id}/retry`, { method: "POST", key, ...(json === undefined ? {} : { json }) });

describe("retry with a corrected input from step 2", () => {
  it("keeps step 1 (same output, run and charged once) and runs step 2 again, planned from the new input", async () => {
    const r = await failedRun("- gather the order\n- ship it to the old address !fail-permanent");
    const before = await json(api(`/v1/runs/${r.id}`, { key: r.key }));
    expect(before.steps.map((s: any) => s.status)).toEqual(["completed", "failed"]);

    const corrected = "- gather the order\n- ship it to the corrected address";
    const res = await retry(r.id, r.key, { input: corrected, from_step: 2 });
    expect(res.status).toBe(200);
    expect((await res.json<any>()).status).toBe("queued");
    const run = await waitForRun(r.id, { key: r.key });

    expect(run.status).toBe("succeeded");
    expect(run.input).toBe(corrected);
    expect(run.plan.map((s: any) => s.title)).toEqual(["gather the order", "ship it to the corrected address"]);
    // Step 1 is the same completed step: its summary and the attempt that ran it are unchanged.
    expect(run.steps[0]).toMatchObject({ status: "completed", run_attempt: 1, summary: before.steps[0].summary });
    expect(run.steps[1]).toMatchObject({ status: "completed", run_attempt: 2, summary: "Completed: ship it to the corrected address" });
    expect(await starts(r.id, r.key, 1)).toBe(1);
    expect(await modelCalls(r.id, r.key, 1)).toBe(1);
    // Every credit spent is one model call's charge: step 1's only once.
    const events = await allEvents(r.id, r.key);
    const charged = events.filter((e) => e.type === "model.call").reduce((s, e) => s + e.data.credits, 0);
    expect(run.credits.spent).toBe(charged);
    // The old input is in the log, and the new plan says what it kept.
    expect(events.find((e) => e.type === "run.input_replaced")?.data).toEqual({
      previous_input: "- gather the order\n- ship it to the old address !fail-permanent",
      input: corrected,
    });
    const plans = events.filter((e) => e.type === "plan.created");
    expect(plans).toHaveLength(2);
    expect(plans[1].data).toMatchObject({ kept: 1, steps: [{ index: 1, title: "gather the order" }, { index: 2 }] });
  });

  it("a new input without from_step replans from the first step not completed", async () => {
    const r = await failedRun("- check stock\n- order more !fail-permanent\n- tell the buyer");
    await retry(r.id, r.key, { input: "- check stock\n- order 20 more\n- tell the buyer" });
    const run = await waitForRun(r.id, { key: r.key });
    expect(run.status).toBe("succeeded");
    expect(run.plan.map((s: any) => s.title)).toEqual(["check stock", "order 20 more", "tell the buyer"]);
    expect(run.steps.map((s: any) => s.run_attempt)).toEqual([1, 2, 2]);
    expect(await modelCalls(r.id, r.key, 1)).toBe(1);
  });
});

describe("retry from a step without a new input", () => {
  it("from_step 1 runs the completed step again with the same plan", async () => {
    const r = await failedRun("- look up\n- summarise !fail-permanent");
    expect((await retry(r.id, r.key, { from_step: 1 })).status).toBe(200);
    const run = await waitForRun(r.id, { key: r.key, until: (x) => x.status === "failed" && x.attempts === 2 });
    expect(run.plan.map((s: any) => s.title)).toEqual(["look up", "summarise"]);
    expect(run.steps[0]).toMatchObject({ status: "completed", run_attempt: 2 });
    expect(await modelCalls(r.id, r.key, 1)).toBe(2);
    expect(await modelCalls(r.id, r.key, 0)).toBe(1);
  });

  it("no body resumes after the last completed step, as before", async () => {
    const r = await failedRun("- look up\n- summarise !fail-permanent");
    const res = await api(`/v1/runs/${r.id}/retry`, { method: "POST", key: r.key });
    expect(res.status).toBe(200);
    await waitForRun(r.id, { key: r.key, until: (x) => x.status === "failed" && x.attempts === 2 });
    expect(await starts(r.id, r.key, 1)).toBe(1);
    expect(await starts(r.id, r.key, 2)).toBe(2);
  });
});

describe("a retry body that is refused changes nothing", () => {
  it("from_step 0, beyond the plan, not reached, or not a number; input empty; an unknown field: 400 naming the field", async () => {
    const r = await failedRun("- one\n- two !fail-permanent\n- three");
    const credits = await json(api("/v1/credits", { key: r.key }));
    const cases: [unknown, string, RegExp][] = [
      [{ from_step: 0 }, "from_step", /1 or more/],
      [{ from_step: "2" }, "from_step", /step number/],
      [{ from_step: 4 }, "from_step", /the plan has 3 steps/],
      [{ from_step: 3 }, "from_step", /never reached.*step 2 at the latest/],
      [{ input: "  " }, "input", /must not be empty/],
      [{ input: 12 }, "input", /string or an object/],
      [{ fromStep: 2 }, "fromStep", /unknown field/],
    ];
    for (const [body, field, message] of cases) {
      const res = await retry(r.id, r.key, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      const err = (await res.json<any>()).error;
      expect(err).toMatchObject({ code: "invalid_request", details: { field } });
      expect(err.message).toMatch(message);
    }
    const run = await json(api(`/v1/runs/${r.id}`, { key: r.key }));
    expect(run).toMatchObject({ status: "failed", attempts: 1, input: "- one\n- two !fail-permanent\n- three" });
    expect(await json(api("/v1/credits", { key: r.key }))).toEqual(credits);
  });

  it("another tenant's run is 404; a run that has not failed is 409", async () => {
    const r = await failedRun("- one !fail-permanent");
    const other = await newTenant();
    expect((await retry(r.id, other.key, { from_step: 1 })).status).toBe(404);
    const ok = await createRun({ agent: "general", input: "- fine" }, other.key);
    await waitForRun(ok.id, { key: other.key });
    const res = await retry(ok.id, other.key, { input: "- again" });
    expect(res.status).toBe(409);
    expect((await json(api(`/v1/runs/${ok.id}`, { key: other.key }))).input).toBe("- fine");
  });
});
