// Progress notes: while a stream that asked for progress is open, the worker reports each model
// and tool call as it starts and finishes; the notes are broadcast, never stored or replayed.

import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { allEvents, api, createRun, newTenant, waitForRun } from "../helpers/api";
import { openStream, readSse } from "../helpers/ws";

// Step 1 waits for a person, so the watchers are connected before any further unit is claimed.
const INPUT = '- check !approve\n- store !tool memory_set {"key":"progress","value":"seen"} !slow 200';
const awaiting = (r: any) => r.status === "awaiting_approval";

async function approve(runId: string, key: string) {
  const waiting = await waitForRun(runId, { key, until: awaiting });
  const res = await api(`/v1/approvals/${waiting.approvals[0].id}`, { method: "POST", json: { decision: "approve" }, key });
  expect(res.status).toBe(200);
}

/** The kinds of progress notes for one step, in the order received. */
const kindsOf = (notes: any[], step: number) => notes.filter((n) => n.step === step).map((n) => `${n.kind}${n.tool ? `:${n.tool}` : ""}`);

describe("progress notes for live watchers", () => {
  it("a WebSocket that asks for progress sees each call start and finish before its step's events; others and the log see none", async () => {
    const t = await newTenant(1000);
    const run = await createRun({ agent: "general", input: INPUT }, t.key);
    const unwatched = await createRun({ agent: "general", input: INPUT }, t.key);
    await waitForRun(run.id, { key: t.key, until: awaiting });
    const watcher = await openStream(run.id, { key: t.key, query: "?progress=true" });
    const plain = await openStream(run.id, { key: t.key });
    await Promise.all([approve(run.id, t.key), approve(unwatched.id, t.key)]);
    await Promise.all([watcher.client!.closed, plain.client!.closed]);

    const log = await allEvents(run.id, t.key);
    expect(plain.client!.messages).toEqual(log);
    expect(log.some((e) => e.type === "progress")).toBe(false);

    const received = watcher.client!.messages;
    const notes = received.filter((m) => m.type === "progress");
    expect(received.filter((m) => m.type !== "progress")).toEqual(log);
    for (const n of notes) {
      expect(n).toMatchObject({ run_id: run.id, attempt: 1 });
      expect(n.seq).toBeUndefined();
      expect(typeof n.at).toBe("number");
    }
    // Step 1 resumes after the approval with one model call (complete_step); step 2 calls its tool.
    expect(kindsOf(notes, 1)).toEqual(["model.started", "model.finished"]);
    expect(kindsOf(notes, 2)).toEqual([
      "model.started",
      "model.finished",
      "tool.started:memory_set",
      "tool.finished:memory_set",
      "model.started",
      "model.finished",
    ]);
    expect(notes.filter((n) => n.kind.endsWith(".finished")).every((n) => n.ok === true && n.ms >= 0)).toBe(true);
    // Every note of a step arrives before that step's durable step.completed event.
    for (const step of [1, 2]) {
      const completed = received.findIndex((m) => m.type === "step.completed" && m.data?.step === step);
      const lastNote = received.findLastIndex((m) => m.type === "progress" && m.step === step);
      expect(lastNote).toBeGreaterThanOrEqual(0);
      expect(lastNote).toBeLessThan(completed);
    }
    // Each note was one request to the run object; the same run unwatched made none.
    const [seen, alone] = [await waitForRun(run.id, { key: t.key }), await waitForRun(unwatched.id, { key: t.key })];
    expect(seen.cost.durable_object_requests - alone.cost.durable_object_requests).toBe(notes.length);
    expect(seen.cost.rows_written).toBe(alone.cost.rows_written);
    // A replay shows each call once: the durable events only.
    const replay = await openStream(run.id, { key: t.key, query: "?progress=true" });
    await replay.client!.closed;
    expect(replay.client!.messages).toEqual(log);
  });

  it("an SSE stream with ?progress=true gets `event: progress` frames without an id; the cursor stays on events", async () => {
    const t = await newTenant(1000);
    const run = await createRun({ agent: "general", input: INPUT }, t.key);
    await waitForRun(run.id, { key: t.key, until: awaiting });
    const res = await api(`/v1/runs/${run.id}/logs?progress=true`, { key: t.key, headers: { accept: "text/event-stream" } });
    expect(res.status).toBe(200);
    await approve(run.id, t.key);
    const frames = await readSse(res);
    const progress = frames.filter((f) => f.event === "progress");
    const events = frames.filter((f) => f.event !== "progress");
    expect(progress.length).toBeGreaterThanOrEqual(4);
    expect(progress.every((f) => f.id === null && f.data.type === "progress")).toBe(true);
    expect(events.map((f) => f.data)).toEqual(await allEvents(run.id, t.key));
  });

  it("a note from a worker that does not hold the lease is refused and reaches nobody", async () => {
    const t = await newTenant(1000);
    const run = await createRun({ agent: "general", input: INPUT }, t.key);
    await waitForRun(run.id, { key: t.key, until: awaiting });
    const watcher = await openStream(run.id, { key: t.key, query: "?progress=true" });
    const stub = env.RUNS.get(env.RUNS.idFromName(run.id));
    const note = { kind: "model.started" as const, step: 1, attempt: 1, call: 1, at: Date.now() };
    expect(await stub.progress("not-the-lease", note)).toBe(false);
    await api(`/v1/runs/${run.id}/cancel`, { method: "POST", key: t.key });
    await watcher.client!.closed;
    expect(watcher.client!.messages.filter((m) => m.type === "progress")).toEqual([]);
  });
});
