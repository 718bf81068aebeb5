import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Journal } from "../../src/run/journal";
import type { RunObject } from "../../src/run/run-object";
import { allEvents, api, createRun, json, newTenant, waitForRun } from "../helpers/api";

describe("run lifecycle", () => {
  it("cancelling a running run: no further step starts and run.canceled is the last event", async () => {
    const run = await createRun({ agent: "general", input: "- one\n- two !slow 400\n- three !slow 400" });
    // Nobody follows it live, so its plan is committed with step 1 (src/agent/runner.ts): step 2 is
    // the first step a poll can see running.
    await waitForRun(run.id, { until: (r) => r.steps.length > 1 && r.steps[1].status === "running" });
    const res = await api(`/v1/runs/${run.id}/cancel`, { method: "POST" });
    expect(res.status).toBe(200);
    expect((await res.json<any>()).status).toBe("canceled");
    // Give the worker time to finish the step it was executing and try to commit.
    await new Promise((r) => setTimeout(r, 1200));
    const after = await json(api(`/v1/runs/${run.id}`));
    expect(after.status).toBe("canceled");
    expect(after.steps[0].status).toBe("completed");
    expect(after.steps.slice(1).map((s: any) => s.status)).not.toContain("completed");
    const events = await allEvents(run.id);
    expect(events.at(-1).type).toBe("run.canceled");
    const canceledAt = events.findIndex((e) => e.type === "run.canceled");
    expect(events.slice(canceledAt + 1)).toEqual([]);
    expect(events.filter((e) => e.type === "step.started").map((e) => e.data.step)).toEqual([1, 2]);
    const again = await api(`/v1/runs/${run.id}/cancel`, { method: "POST" });
    expect(again.status).toBe(409);
    expect((await again.json<any>()).error.code).toBe("conflict");
  });

  it("a run not started within its agent's ttl expires from its alarm", async () => {
    const runAt = new Date(Date.now() + 3600_000).toISOString();
    const run = await createRun({ agent: "general", input: "later", run_at: runAt });
    expect(run.status).toBe("scheduled");
    const stub = env.RUNS.get(env.RUNS.idFromName(run.id));
    await runInDurableObject(stub, (obj: RunObject) => {
      // Move the deadline into the past, as if the ttl had elapsed (a page of the object's journal).
      const journal = (obj as any).journal as Journal;
      journal.updateRun({ expires_at: Date.now() - 1 });
      journal.flush();
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const after = await json(api(`/v1/runs/${run.id}`));
    expect(after.status).toBe("expired");
    const events = await allEvents(run.id);
    expect(events.map((e) => e.type)).toEqual(["run.created", "run.scheduled", "run.expired"]);
  });

  it("a high-priority run behind a backlog of 50 low-priority runs finishes before most of them", async () => {
    const t = await newTenant(10_000);
    const low = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        createRun({ agent: "general", input: `backlog ${i} !slow 1000`, priority: "low", max_credits: 10 }, t.key),
      ),
    );
    const high = await createRun({ agent: "general", input: "urgent", priority: "high", max_credits: 10 }, t.key);
    const done = await waitForRun(high.id, { timeoutMs: 60_000, key: t.key });
    expect(done.status).toBe("succeeded");
    const highFinished = Date.parse(done.finished_at);
    const lows = await Promise.all(low.map((r) => json(api(`/v1/runs/${r.id}`, { key: t.key }))));
    const finishedBefore = lows.filter((r) => r.finished_at && Date.parse(r.finished_at) < highFinished).length;
    console.info(`backlog runs finished before the high-priority run: ${finishedBefore}/50`);
    // The bound: fewer than half of the backlog may finish before the high-priority run.
    expect(finishedBefore).toBeLessThan(25);
    await Promise.all(low.map((r) => waitForRun(r.id, { timeoutMs: 60_000, key: t.key })));
  }, 120_000);

  it("cancel stops the running step: runs created after a canceled !slow 20000 run do not wait for it", async () => {
    const t = await newTenant(1000);
    // Step 2 is the slow one: step 1 is committed with the plan, so a poll sees step 2 running.
    const slow = await createRun({ agent: "general", input: "- first\n- wait !slow 20000", max_credits: 20 }, t.key);
    const running = await waitForRun(slow.id, { key: t.key, until: (r) => r.steps.length > 1 && r.steps[1].status === "running" });
    // The step's model call started sleeping when the step started; it would sleep until then.
    const sleepsUntil = Date.parse(running.steps[1].started_at) + 20_000;
    const canceled = await api(`/v1/runs/${slow.id}/cancel`, { method: "POST", key: t.key });
    expect((await canceled.json<any>()).status).toBe("canceled");
    // Same lane: its queue delivers one batch at a time, so these wait for the canceled run's slot.
    const after = await Promise.all([1, 2, 3].map((i) => createRun({ agent: "general", input: `after ${i}`, max_credits: 20 }, t.key)));
    const done = await Promise.all(after.map((r) => waitForRun(r.id, { key: t.key, timeoutMs: 25_000 })));
    expect(done.map((r) => r.status)).toEqual(["succeeded", "succeeded", "succeeded"]);
    for (const r of done) expect(Date.parse(r.finished_at)).toBeLessThan(sleepsUntil);
    const events = await allEvents(slow.id, t.key);
    expect(events.at(-1).type).toBe("run.canceled");
    expect(events.filter((e) => e.type === "model.call" && e.data.step === 2)).toEqual([]);
  }, 60_000);

  it("a succeeded run keeps no stale error from a retried attempt, in the run or in the tenant index", async () => {
    const t = await newTenant(1000);
    const run = await createRun({ agent: "general", input: "- answer !fail-transient 1" }, t.key);
    const done = await waitForRun(run.id, { key: t.key });
    expect(done.status).toBe("succeeded");
    expect(done.error).toBeNull();
    const events = await allEvents(run.id, t.key);
    expect(events.filter((e) => e.type === "retry.scheduled")).toHaveLength(1);
    const tenant = env.TENANTS.get(env.TENANTS.idFromName(t.id));
    const indexed = await runInDurableObject(tenant, (_obj, state) =>
      state.storage.sql.exec("SELECT status, error FROM runs WHERE id = ?", run.id).toArray(),
    );
    expect(indexed).toEqual([{ status: "succeeded", error: null }]);
  });
});
