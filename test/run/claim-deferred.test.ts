// The first claim of a run no stream follows is written with its unit's commit (one journal page
// fewer). Until then only the run object's memory holds it, so it is written first whenever
// anything of it would leave the object: a log read, a stream, the tenant sync, any other
// transition. A run a stream follows writes its claim at once.

import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { ClaimResult, CommitResult } from "../../src/run/protocol";
import { unitReport } from "../faults/driven-worker";
import { ADMIN, allEvents, api, createRun, json, newTenant, waitForRun } from "../helpers/api";
import { openStream, receivedEvent } from "../helpers/ws";

const runStub = (id: string) => env.RUNS.get(env.RUNS.idFromName(id));

/** The run object's journal: its pages' event types in order, and whether a deferred page waits. */
async function journalOf(id: string): Promise<{ pages: string[][]; held: boolean }> {
  return runInDurableObject(runStub(id), (o, state) => {
    const rows = state.storage.sql.exec("SELECT events FROM journal ORDER BY n").toArray();
    const pages = rows.map((r) => (r.events === null ? [] : (JSON.parse(r.events as string) as { type: string }[]).map((e) => e.type)));
    return { pages, held: (o as unknown as { p: { journal: { held: boolean } } }).p.journal.held };
  });
}

/**
 * A run on the low lane (its message waits for the lane's 2 s batch), claimed at once by a worker
 * the test plays.
 */
async function claimedRun(key: string, input = "- one"): Promise<{ id: string; token: string; claim: ClaimResult }> {
  const r = await createRun({ agent: "general", input, priority: "low" }, key);
  const claim = (await runStub(r.id).claim({ gen: 1, worker: "test-worker" })) as ClaimResult;
  if (claim.status !== "claimed") throw new Error(`run ${r.id} was not claimed: ${claim.status}`);
  return { id: r.id, token: claim.token, claim };
}

const planOne = (id: string, token: string) =>
  runStub(id).commit({
    kind: "plan",
    token,
    plan: [{ title: "one", instructions: "one" }],
    report: unitReport(`${id}:1:0:1:1`),
    handoff: false,
  }) as Promise<CommitResult>;

const stepOne = (id: string, token: string) =>
  runStub(id).commit({
    kind: "step",
    token,
    index: 1,
    summary: "one done",
    output: "one",
    report: unitReport(`${id}:1:1:1:1`),
    handoff: false,
  }) as Promise<CommitResult>;

describe("the first claim, deferred to its unit's commit", () => {
  it("an unfollowed run's first claim writes no page: the plan's commit writes both", async () => {
    const t = await newTenant(1000);
    const { id, token, claim } = await claimedRun(t.key);
    expect(claim).toMatchObject({ live: false });
    expect(await journalOf(id)).toEqual({ pages: [["run.created", "run.queued"]], held: true });
    // The run object answers from its memory: the run is running.
    const seen = await json(api(`/v1/runs/${id}`, { key: t.key }));
    expect(seen.status).toBe("running");
    expect(seen.started_at).not.toBeNull();

    expect((await planOne(id, token)).status).toBe("continue");
    const after = await journalOf(id);
    expect(after.held).toBe(false);
    expect(after.pages).toHaveLength(2);
    expect(after.pages[1]).toEqual(["run.started", "credits.charged", "plan.created", "step.started"]);

    expect((await stepOne(id, token)).status).toBe("done");
    const done = await waitForRun(id, { key: t.key });
    expect(done.status).toBe("succeeded");
    const events = await allEvents(id, t.key);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(events.filter((e) => e.type === "run.started")).toHaveLength(1);
    const cost = await json(api(`/v1/admin/runs/${id}/cost`, { key: ADMIN }));
    // init, the plan's commit (with the claim), step 1's commit, the settlement's page; the table's 2.
    expect(cost.run_rows).toBe(6);
  });

  it("a log read writes the deferred page first, so the claim outlives a reset of the object", async () => {
    const t = await newTenant(1000);
    const { id, token } = await claimedRun(t.key);
    const log = await json(api(`/v1/runs/${id}/logs`, { key: t.key }));
    expect(log.events.map((e: any) => e.type)).toEqual(["run.created", "run.queued", "run.started"]);
    expect(await journalOf(id)).toMatchObject({ held: false, pages: [["run.created", "run.queued"], ["run.started"]] });

    // An abrupt reset: the new instance reads the claim back, so the worker's commits are accepted.
    await runInDurableObject(runStub(id), (_o, state) => state.abort("injected: object reset after the log read")).catch(() => {});
    expect((await planOne(id, token)).status).toBe("continue");
    expect((await stepOne(id, token)).status).toBe("done");
    expect((await waitForRun(id, { key: t.key })).status).toBe("succeeded");
  });

  it("a stream opened after the claim replays it from a written page", async () => {
    const t = await newTenant(1000);
    const { id, token } = await claimedRun(t.key);
    const stream = await openStream(id, { key: t.key });
    expect(stream.status).toBe(101);
    await receivedEvent(stream.client!, "run.started");
    expect(await journalOf(id)).toMatchObject({ held: false, pages: [["run.created", "run.queued"], ["run.started"]] });
    expect((await planOne(id, token)).status).toBe("continue");
    expect((await stepOne(id, token)).status).toBe("done");
    await stream.client!.closed;
    expect(stream.client!.messages).toEqual(await allEvents(id, t.key));
  });

  it("a run a stream follows writes its first claim at once", async () => {
    const t = await newTenant(1000);
    const r = await createRun({ agent: "general", input: "- one", priority: "low" }, t.key);
    const stream = await openStream(r.id, { key: t.key });
    const claim = (await runStub(r.id).claim({ gen: 1, worker: "test-worker" })) as ClaimResult;
    expect(claim).toMatchObject({ status: "claimed", live: true });
    expect(await journalOf(r.id)).toMatchObject({ held: false, pages: [["run.created", "run.queued"], ["run.started"]] });
    if (claim.status !== "claimed") return;
    expect((await planOne(r.id, claim.token)).status).toBe("continue");
    expect((await stepOne(r.id, claim.token)).status).toBe("done");
    await stream.client!.closed;
  });

  it("the tenant sync writes the deferred page before the tenant hears the run is running", async () => {
    const t = await newTenant(1000);
    const { id, token } = await claimedRun(t.key);
    const listed = async () => (await json(api("/v1/runs?status=running", { key: t.key }))).runs.some((x: any) => x.id === id);
    expect(await listed()).toBe(false);
    // The sync the run object sends once the run has been running for 2 s, sent now.
    await runInDurableObject(runStub(id), (o) =>
      (o as unknown as { p: { effects: { syncIfBehind(): Promise<void> } } }).p.effects.syncIfBehind(),
    );
    expect(await listed()).toBe(true);
    expect(await journalOf(id)).toMatchObject({ held: false, pages: [["run.created", "run.queued"], ["run.started"]] });
    expect((await planOne(id, token)).status).toBe("continue");
    expect((await stepOne(id, token)).status).toBe("done");
    expect((await waitForRun(id, { key: t.key })).status).toBe("succeeded");
  });
});
