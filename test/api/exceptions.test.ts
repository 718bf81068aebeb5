// Exceptions: failed runs waiting for a person, resolved or dismissed once, with run.resolved.

import { describe, expect, it } from "vitest";
import { api, createRun, json, newTenant, waitForRun } from "../helpers/api";

async function failed(key: string, input = "- check the refund !fail-permanent"): Promise<string> {
  const created = await createRun({ agent: "general", input }, key);
  expect((await waitForRun(created.id, { key })).status).toBe("failed");
  return created.id;
}

const resolve = (id: string, key: string, body: unknown) => api(`/v1/runs/${id}/resolve`, { method: "POST", key, json: body });

describe("the exceptions list", () => {
  it("shows a failed run as open with its last error; a resolution moves it to resolved, status unchanged", async () => {
    const t = await newTenant();
    const id = await failed(t.key);
    const open = await json(api("/v1/exceptions?status=open", { key: t.key }));
    expect(open.exceptions).toEqual([
      expect.objectContaining({
        run_id: id,
        agent: "general",
        status: "failed",
        error: expect.objectContaining({ code: "model_bad_request" }),
        resolution: null,
      }),
    ]);

    const res = await resolve(id, t.key, { action: "resolved", output: { refund: "sent by hand" }, comment: "done manually" });
    expect(res.status).toBe(200);
    const run = await res.json<any>();
    expect(run.status).toBe("failed");
    expect(run.resolution).toEqual({
      action: "resolved",
      output: { refund: "sent by hand" },
      comment: "done manually",
      actor: { type: "api_key", id: t.keyId },
      at: expect.any(String),
    });
    expect((await json(api(`/v1/runs/${id}`, { key: t.key }))).resolution).toEqual(run.resolution);
    expect((await json(api("/v1/exceptions", { key: t.key }))).exceptions).toEqual([]);
    const resolved = await json(api("/v1/exceptions?status=resolved", { key: t.key }));
    expect(resolved.exceptions.map((e: any) => [e.run_id, e.resolution.action])).toEqual([[id, "resolved"]]);

    const events = await json(api("/v1/events", { key: t.key }));
    const ev = events.events.find((e: any) => e.type === "run.resolved");
    expect(ev).toMatchObject({ run_id: id, data: { status: "failed", resolution: run.resolution } });
  });

  it("a dead run is an exception too, listed newest first with the failed one", async () => {
    const t = await newTenant();
    const failedId = await failed(t.key);
    const dead = await createRun({ agent: "general", input: "- flaky !fail-transient 9" }, t.key);
    expect((await waitForRun(dead.id, { key: t.key })).status).toBe("dead");
    const open = await json(api("/v1/exceptions", { key: t.key }));
    expect(open.exceptions.map((e: any) => [e.run_id, e.status])).toEqual([
      [dead.id, "dead"],
      [failedId, "failed"],
    ]);
    const page = await json(api("/v1/exceptions?limit=1", { key: t.key }));
    expect(page.exceptions.map((e: any) => e.run_id)).toEqual([dead.id]);
    const next = await json(api(`/v1/exceptions?limit=1&cursor=${page.next_cursor}`, { key: t.key }));
    expect(next.exceptions.map((e: any) => e.run_id)).toEqual([failedId]);
    expect((await resolve(dead.id, t.key, { action: "resolved", output: "re-ran by hand" })).status).toBe(200);
  });

  it("dismissing needs no output; resolving twice is 409 and keeps the first resolution", async () => {
    const t = await newTenant();
    const id = await failed(t.key);
    expect((await resolve(id, t.key, { action: "dismissed", comment: "customer withdrew" })).status).toBe(200);
    const again = await resolve(id, t.key, { action: "resolved", output: "x" });
    expect(again.status).toBe(409);
    expect((await again.json<any>()).error.message).toMatch(/already dismissed/);
    expect((await json(api(`/v1/runs/${id}`, { key: t.key }))).resolution).toMatchObject({ action: "dismissed", output: null });
    const events = await json(api("/v1/events", { key: t.key }));
    expect(events.events.filter((e: any) => e.type === "run.resolved")).toHaveLength(1);
  });

  it("a retried run that fails again is an open exception again", async () => {
    const t = await newTenant();
    const id = await failed(t.key);
    await resolve(id, t.key, { action: "dismissed" });
    await api(`/v1/runs/${id}/retry`, { method: "POST", key: t.key });
    await waitForRun(id, { key: t.key, until: (r) => r.status === "failed" && r.attempts === 2 });
    expect((await json(api(`/v1/runs/${id}`, { key: t.key }))).resolution).toBeNull();
    const open = await json(api("/v1/exceptions", { key: t.key }));
    expect(open.exceptions.map((e: any) => e.run_id)).toEqual([id]);
  });
});

describe("resolving: what is refused", () => {
  it("a run that succeeded or is not final is 409 with the reason; nothing is recorded", async () => {
    const t = await newTenant();
    const ok = await createRun({ agent: "general", input: "- fine" }, t.key);
    await waitForRun(ok.id, { key: t.key });
    const done = await resolve(ok.id, t.key, { action: "dismissed" });
    expect(done.status).toBe(409);
    expect((await done.json<any>()).error.message).toMatch(/only failed or dead runs.*succeeded/);
    const later = await createRun({ agent: "general", input: "- later", run_at: new Date(Date.now() + 3_600_000).toISOString() }, t.key);
    const scheduled = await resolve(later.id, t.key, { action: "dismissed" });
    expect(scheduled.status).toBe(409);
    expect((await scheduled.json<any>()).error.message).toMatch(/scheduled/);
    expect((await json(api(`/v1/runs/${later.id}`, { key: t.key }))).resolution).toBeNull();
  });

  it("bad bodies are 400 naming the field; another tenant's run is 404 and not in its list", async () => {
    const t = await newTenant();
    const id = await failed(t.key);
    const cases: [unknown, string][] = [
      [{}, "action"],
      [{ action: "fixed" }, "action"],
      [{ action: "dismissed", output: 1 }, "output"],
      [{ action: "resolved", comment: 5 }, "comment"],
      [{ action: "resolved", actor: "me" }, "actor"],
    ];
    for (const [body, field] of cases) {
      const res = await resolve(id, t.key, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect((await res.json<any>()).error).toMatchObject({ code: "invalid_request", details: { field } });
    }
    const other = await newTenant();
    expect((await resolve(id, other.key, { action: "dismissed" })).status).toBe(404);
    expect((await json(api("/v1/exceptions", { key: other.key }))).exceptions).toEqual([]);
    expect((await json(api(`/v1/runs/${id}`, { key: t.key }))).resolution).toBeNull();
    const bad = await api("/v1/exceptions?status=closed", { key: t.key });
    expect(bad.status).toBe(400);
    expect((await bad.json<any>()).error.details).toEqual({ field: "status" });
  });
});
