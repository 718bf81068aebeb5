// Feedback on final runs: given once per request with a rating, listed by agent and rating, and
// exported as NDJSON training examples.

import { describe, expect, it } from "vitest";
import { api, createRun, json, newTenant, waitForRun } from "../helpers/api";

async function finished(key: string, agent: string, input: string): Promise<any> {
  const created = await createRun({ agent, input }, key);
  return waitForRun(created.id, { key });
}

const give = (id: string, key: string, body: unknown) => api(`/v1/runs/${id}/feedback`, { method: "POST", key, json: body });

describe("giving feedback", () => {
  it("201 with the feedback, a feedback.created event, and the run unchanged", async () => {
    const t = await newTenant();
    const run = await finished(t.key, "general", "- draft the reply\n- polish it");
    const res = await give(run.id, t.key, { rating: "down", comment: "too formal", correction: "Hi Sam, ...", step: 2 });
    expect(res.status).toBe(201);
    const fb = await res.json<any>();
    expect(fb).toEqual({
      id: expect.stringMatching(/^fb_/),
      run_id: run.id,
      agent: "general",
      rating: "down",
      comment: "too formal",
      correction: "Hi Sam, ...",
      step: 2,
      actor: { type: "api_key", id: t.keyId },
      created_at: expect.any(String),
    });
    const events = (await json(api("/v1/events", { key: t.key }))).events;
    expect(events.find((e: any) => e.type === "feedback.created")).toMatchObject({ run_id: run.id, data: fb });
    expect(await json(api(`/v1/runs/${run.id}`, { key: t.key }))).toMatchObject({ status: "succeeded", output: run.output });
  });

  it("failed runs take feedback too; a run not yet final is 409", async () => {
    const t = await newTenant();
    const bad = await finished(t.key, "general", "- try !fail-permanent");
    expect((await give(bad.id, t.key, { rating: "down" })).status).toBe(201);
    const later = await createRun({ agent: "general", input: "x", run_at: new Date(Date.now() + 3_600_000).toISOString() }, t.key);
    const res = await give(later.id, t.key, { rating: "up" });
    expect(res.status).toBe(409);
    expect((await res.json<any>()).error.message).toMatch(/final runs; this run is scheduled/);
  });

  it("bad bodies are 400 naming the field; another tenant's run is 404", async () => {
    const t = await newTenant();
    const run = await finished(t.key, "general", "- one\n- two");
    const cases: [unknown, string][] = [
      [{}, "rating"],
      [{ rating: "meh" }, "rating"],
      [{ rating: "up", comment: ["x"] }, "comment"],
      [{ rating: "up", step: 0 }, "step"],
      [{ rating: "up", step: 3 }, "step"],
      [{ rating: "up", stars: 5 }, "stars"],
    ];
    for (const [body, field] of cases) {
      const res = await give(run.id, t.key, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect((await res.json<any>()).error).toMatchObject({ code: "invalid_request", details: { field } });
    }
    const other = await newTenant();
    expect((await give(run.id, other.key, { rating: "up" })).status).toBe(404);
    expect((await json(api("/v1/feedback", { key: t.key }))).feedback).toEqual([]);
  });
});

describe("listing and exporting feedback", () => {
  it("filters by agent and rating, pages with after, and stays within the tenant", async () => {
    const t = await newTenant();
    const a = await finished(t.key, "general", "- one");
    const b = await finished(t.key, "support", "- answer the customer");
    await give(a.id, t.key, { rating: "up" });
    await give(b.id, t.key, { rating: "down", comment: "wrong tone" });
    await give(a.id, t.key, { rating: "down" });

    const all = await json(api("/v1/feedback", { key: t.key }));
    expect(all.feedback.map((f: any) => [f.run_id, f.rating])).toEqual([
      [a.id, "up"],
      [b.id, "down"],
      [a.id, "down"],
    ]);
    const downs = await json(api("/v1/feedback?rating=down", { key: t.key }));
    expect(downs.feedback.map((f: any) => f.run_id)).toEqual([b.id, a.id]);
    const support = await json(api("/v1/feedback?agent=support", { key: t.key }));
    expect(support.feedback.map((f: any) => f.comment)).toEqual(["wrong tone"]);
    const first = await json(api("/v1/feedback?limit=1", { key: t.key }));
    const rest = await json(api(`/v1/feedback?after=${first.next_after}`, { key: t.key }));
    expect([...first.feedback, ...rest.feedback].map((f: any) => f.id)).toEqual(all.feedback.map((f: any) => f.id));
    expect((await json(api("/v1/feedback", { key: (await newTenant()).key }))).feedback).toEqual([]);
    for (const q of ["rating=meh", "limit=0", "after=-1", "agent=Not%20A%20Name"]) {
      const res = await api(`/v1/feedback?${q}`, { key: t.key });
      expect(res.status, q).toBe(400);
    }
  });

  it("Accept: application/x-ndjson gives one training example a line with the run's input, plan and output", async () => {
    const t = await newTenant();
    const run = await finished(t.key, "general", "- look up the order\n- write the answer");
    await give(run.id, t.key, { rating: "down", correction: { answer: "It ships Monday." } });
    await give(run.id, t.key, { rating: "up", comment: "better" });
    const res = await api("/v1/feedback", { key: t.key, headers: { accept: "application/x-ndjson" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/x-ndjson");
    const lines = (await res.text())
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines).toEqual([
      {
        run_id: run.id,
        agent: "general",
        input: "- look up the order\n- write the answer",
        plan: run.plan,
        output: run.output,
        rating: "down",
        comment: null,
        correction: { answer: "It ships Monday." },
        created_at: expect.any(String),
      },
      expect.objectContaining({ rating: "up", comment: "better", correction: null }),
    ]);
    const ups = await api("/v1/feedback?rating=up", { key: t.key, headers: { accept: "application/x-ndjson" } });
    expect((await ups.text()).trim().split("\n")).toHaveLength(1);
    const one = await api("/v1/feedback?limit=1", { key: t.key, headers: { accept: "application/x-ndjson" } });
    expect(
      (await one.text())
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l).rating),
    ).toEqual(["down"]);
  });
});
