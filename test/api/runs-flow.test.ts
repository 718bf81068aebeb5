import { describe, expect, it } from "vitest";
import { allEvents, api, createRun, json, newTenant, waitForRun } from "../helpers/api";

describe("a general run end to end", () => {
  it("plans two steps, runs them and succeeds with a gapless log and one final event", async () => {
    const created = await createRun({ agent: "general", input: "- look up\n- summarise" });
    expect(created.status).toBe("queued");
    expect(created.priority).toBe("normal");
    expect(created.links.self).toContain(created.id);
    const run = await waitForRun(created.id);
    expect(run.status).toBe("succeeded");
    expect(run.plan).toHaveLength(2);
    expect(run.plan.map((s: any) => s.title)).toEqual(["look up", "summarise"]);
    expect(run.steps.map((s: any) => s.status)).toEqual(["completed", "completed"]);
    expect(run.output.summary).toBe("Completed: summarise");
    expect(run.usage.input_tokens).toBe(300);
    const events = await allEvents(created.id);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    const finals = events.filter((e) => /^run\.(succeeded|failed|canceled|expired|dead)$/.test(e.type));
    expect(finals).toHaveLength(1);
    expect(events[events.length - 1].type).toBe("run.succeeded");
    expect(events.map((e) => e.type)).toContain("plan.created");
  });

  it("lists the run newest first and reports done logs", async () => {
    // A tenant of its own: test files running at the same time create runs of the dev tenant.
    const t = await newTenant();
    const a = await createRun({ agent: "general", input: "one" }, t.key);
    const b = await createRun({ agent: "general", input: "two" }, t.key);
    await waitForRun(b.id, { key: t.key });
    const list = await json(api("/v1/runs?limit=2", { key: t.key }));
    expect(list.runs.map((r: any) => r.id)).toEqual([b.id, a.id]);
    const logs = await json(api(`/v1/runs/${b.id}/logs`, { key: t.key }));
    expect(logs.done).toBe(true);
  });
});
