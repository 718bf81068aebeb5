import { describe, expect, it } from "vitest";
import { allEvents, api, createRun, json, newTenant, waitForRun } from "../helpers/api";
import { openStream, receivedEvent } from "../helpers/ws";

const awaiting = (r: any) => r.status === "awaiting_approval";

/**
 * The tenant's run index and approvals list hear of a run's pause in the background, a moment
 * after the run itself shows it: reads them until `ok` holds (or 10 s pass) and returns the last.
 */
async function tenantView(path: string, key: string, ok: (v: any) => boolean): Promise<any> {
  const deadline = Date.now() + 10_000;
  let view = await json(api(path, { key }));
  while (!ok(view) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    view = await json(api(path, { key }));
  }
  return view;
}

describe("approvals", () => {
  it("request_approval pauses the run without holding a worker; approving resumes it", async () => {
    const t = await newTenant(1000);
    const run = await createRun({ agent: "general", input: "- check !approve\n- report" }, t.key);
    const waiting = await waitForRun(run.id, { key: t.key, until: awaiting });
    expect(waiting.approvals).toHaveLength(1);
    const a = waiting.approvals[0];
    expect(a).toMatchObject({ run_id: run.id, step: 1, tool: "request_approval", status: "pending" });
    const pending = await tenantView("/v1/approvals?status=pending", t.key, (v) => v.approvals.length > 0);
    expect(pending.approvals.map((x: any) => x.id)).toEqual([a.id]);
    const queues = await tenantView("/v1/queues", t.key, (v) => v.awaiting_approval > 0);
    expect(queues.awaiting_approval).toBe(1);
    expect(queues.lanes.normal.running).toBe(0);

    const decided = await api(`/v1/approvals/${a.id}`, { method: "POST", json: { decision: "approve", comment: "fine" }, key: t.key });
    expect(decided.status).toBe(200);
    expect(await decided.json()).toMatchObject({ id: a.id, status: "approved", decision: "approve", comment: "fine" });
    const done = await waitForRun(run.id, { key: t.key });
    expect(done.status).toBe("succeeded");
    expect(done.steps[0].summary).toBe("Completed: check");
    const events = await allEvents(run.id, t.key);
    const types = events.map((e) => e.type);
    expect(types.indexOf("approval.requested")).toBeLessThan(types.indexOf("approval.decided"));
    const twice = await api(`/v1/approvals/${a.id}`, { method: "POST", json: { decision: "reject" }, key: t.key });
    expect(twice.status).toBe(409);
    const other = await newTenant(100);
    const foreign = await api(`/v1/approvals/${a.id}`, { method: "POST", json: { decision: "approve" }, key: other.key });
    expect(foreign.status).toBe(404);
  });

  it("rejecting: the model gets the rejection and the run goes on", async () => {
    const run = await createRun({ agent: "general", input: "- publish !approve\n- report" });
    const waiting = await waitForRun(run.id, { until: awaiting });
    const res = await api(`/v1/approvals/${waiting.approvals[0].id}`, { method: "POST", json: { decision: "reject", comment: "not now" } });
    expect(res.status).toBe(200);
    const done = await waitForRun(run.id);
    expect(done.status).toBe("succeeded");
    expect(done.approvals[0]).toMatchObject({ status: "rejected", decision: "reject", comment: "not now" });
  });

  it("an approval with a 2 s ttl expires on its own and the run moves on", async () => {
    const t = await newTenant(1000);
    const put = await api("/v1/agents/quick", {
      method: "PUT",
      key: t.key,
      json: { system_prompt: "You approve fast.", tools: ["request_approval"], approval_ttl_seconds: 2 },
    });
    expect([200, 201]).toContain(put.status);
    const run = await createRun({ agent: "quick", input: "- wait !approve\n- after" }, t.key);
    await waitForRun(run.id, { key: t.key, until: awaiting });
    const done = await waitForRun(run.id, { key: t.key, timeoutMs: 15_000 });
    expect(done.status).toBe("succeeded");
    expect(done.approvals[0]).toMatchObject({ status: "expired", decision: "reject", comment: "expired" });
  });

  it("a WebSocket subscriber sees approval.requested live; cancelling closes the approval", async () => {
    const run = await createRun({ agent: "general", input: "- slow start !slow 300\n- check !approve" });
    const { client } = await openStream(run.id);
    const waiting = await waitForRun(run.id, { until: awaiting });
    expect(await receivedEvent(client!, "approval.requested")).toMatchObject({ type: "approval.requested" });
    const cancel = await api(`/v1/runs/${run.id}/cancel`, { method: "POST" });
    expect(cancel.status).toBe(200);
    expect((await client!.closed).code).toBe(1000);
    const after = await json(api(`/v1/runs/${run.id}`));
    expect(after.approvals[0]).toMatchObject({ id: waiting.approvals[0].id, status: "rejected", comment: "run canceled" });
    expect(client!.messages.at(-1).type).toBe("run.canceled");
  });

  it("while 20 runs wait for approval, /v1/queues shows 20 awaiting and none of them holds a worker", async () => {
    const t = await newTenant(10_000);
    const runs = await Promise.all(
      Array.from({ length: 20 }, (_, i) => createRun({ agent: "general", input: `- hold ${i} !approve`, max_credits: 10 }, t.key)),
    );
    await Promise.all(runs.map((r) => waitForRun(r.id, { key: t.key, until: awaiting })));
    // The tenant's own view: no run running. (GET /v1/workers lists the workers of every tenant and
    // of the test files running meanwhile, so its totals say nothing about these runs.)
    const q = await tenantView("/v1/queues", t.key, (v) => v.awaiting_approval >= 20);
    expect(q.awaiting_approval).toBe(20);
    expect(q.lanes.normal).toEqual({ queued: 0, running: 0 });
  });
});
