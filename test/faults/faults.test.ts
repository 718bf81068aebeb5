// The fault-injection suite: each test injects one fault into real runs and asserts the outcome.
// `npm run faults` prints the table; runs lost, steps committed twice and events duplicated must be 0.

import {
  createExecutionContext,
  createMessageBatch,
  env,
  evictDurableObject,
  getQueueResult,
  runInDurableObject,
  waitOnExecutionContext,
} from "cloudflare:test";
import { afterAll, describe, expect, it } from "vitest";
import worker from "../../src/index";
import type { ClaimResult, CommitResult } from "../../src/run/protocol";
import { api, createRun, json, newTenant, waitForRun } from "../helpers/api";
import { chargedOnce, check } from "./check";
import { claimAndPlan, unitReport } from "./driven-worker";
import { printTable } from "./report";

const runStub = (id: string) => env.RUNS.get(env.RUNS.idFromName(id));
const tenantStub = (id: string) => env.TENANTS.get(env.TENANTS.idFromName(id));

type LaneSend = (body: unknown, options?: QueueSendOptions) => Promise<unknown>;
interface PatchedLane {
  calls: number;
  original: Queue;
}

/**
 * Puts `send` in front of the normal lane's queue binding of the run objects (their env, which every
 * instance in the isolate shares, so `restoreLane` must follow); `send` gets the number of the
 * run's own send, and other runs' sends pass through untouched.
 */
async function patchLane(runId: string, send: (n: number, real: LaneSend) => LaneSend): Promise<void> {
  await runInDurableObject(runStub(runId), (o) => {
    const bindings = (o as unknown as { env: Record<string, unknown> }).env;
    const original = bindings.RUNS_NORMAL as Queue;
    const real: LaneSend = (body, options) => original.send(body, options);
    const patched = {
      calls: 0,
      original,
      // Only this run's sends go through `send`: other runs still in flight keep the real queue.
      send: (body: unknown, options?: QueueSendOptions) =>
        (body as { run?: unknown } | null)?.run === runId ? send(++patched.calls, real)(body, options) : real(body, options),
      sendBatch: (messages: Iterable<MessageSendRequest>, options?: QueueSendBatchOptions) => original.sendBatch(messages, options),
    };
    bindings.RUNS_NORMAL = patched;
  });
}

/** Puts the queue binding back; returns how many sends went through the patch. */
async function restoreLane(runId: string): Promise<number> {
  return runInDurableObject(runStub(runId), (o) => {
    const bindings = (o as unknown as { env: Record<string, unknown> }).env;
    const patched = bindings.RUNS_NORMAL as Partial<PatchedLane>;
    if (patched.original) bindings.RUNS_NORMAL = patched.original;
    return patched.calls ?? 0;
  });
}

/** Waits (100 ms polls, up to `timeoutMs`) until `probe` holds. */
async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((done) => setTimeout(done, 100));
  }
}

async function deliver(messages: { run: string; tenant: string; gen: number }[], queue = "edgecrew-runs-normal", workerEnv: Env = env) {
  const batch = createMessageBatch(
    queue,
    messages.map((body, i) => ({ id: `inj-${i}-${crypto.randomUUID()}`, timestamp: new Date(), attempts: 1, body })),
  );
  const ctx = createExecutionContext();
  let threw: unknown = null;
  try {
    await worker.queue(batch as MessageBatch<unknown>, workerEnv, ctx);
  } catch (e) {
    threw = e;
  }
  await waitOnExecutionContext(ctx);
  return { result: await getQueueResult(batch, ctx), threw };
}

afterAll(() => {
  console.log(`\n${printTable("fault injection (workers: embedded ledger in the tenant object)")}\n`);
});

describe("fault injection", () => {
  it("model 529 twice, then success", async () => {
    const r = await createRun({ agent: "general", input: "- answer !fail-transient 2" });
    const { events } = await check("model 529 x2 then success", "succeeded", r.id, undefined, () => true);
    const retries = events.filter((e) => e.type === "retry.scheduled");
    expect(retries).toHaveLength(2);
    expect(retries[0].data).toMatchObject({ step: 1, attempt: 1, code: "model_overloaded" });
    expect(retries[0].data.delay_ms).toBeGreaterThanOrEqual(1000);
  });

  it("model 529 forever: the run is dead and listed in the DLQ", async () => {
    const r = await createRun({ agent: "general", input: "- answer !fail-transient 99" });
    const { run, events } = await check("model 529 forever", "dead", r.id, undefined);
    expect(run.error.code).toBe("model_overloaded");
    expect(events.filter((e) => e.type === "retry.scheduled")).toHaveLength(4);
    expect(events.at(-1).type).toBe("run.dead");
    const dlq = await json(api("/v1/dlq"));
    expect(dlq.runs.map((d: any) => d.id)).toContain(r.id);
  });

  it("model 400: the run fails at once", async () => {
    const r = await createRun({ agent: "general", input: "- answer !fail-permanent" });
    const { run, events } = await check("model 400", "failed", r.id, undefined);
    expect(run.error).toMatchObject({ code: "model_bad_request", retryable: false });
    expect(events.filter((e) => e.type === "retry.scheduled")).toHaveLength(0);
  });

  it("crash after the model call, before the commit: the step is redone once", async () => {
    const r = await createRun({ agent: "general", input: "- first\n- second !crash" });
    const { run } = await check("crash before commit", "succeeded", r.id, undefined);
    expect(run.steps[1].attempts).toBe(2);
    expect(run.steps[0].attempts).toBe(1);
  });

  it("the same message delivered twice, concurrently", async () => {
    const t = await newTenant(1000);
    const r = await createRun({ agent: "general", input: "- one !slow 300\n- two !slow 300" }, t.key);
    const msg = { run: r.id, tenant: t.id, gen: 1 };
    await Promise.all([deliver([msg]), deliver([msg])]);
    const { run } = await check("duplicate concurrent delivery", "succeeded", r.id, t.key);
    const credits = await json(api("/v1/credits", { key: t.key }));
    expect(credits.spent_total).toBe(run.credits.spent);
    expect(run.usage.input_tokens).toBe(300);
  });

  it("a stale message from an old attempt is dropped", async () => {
    const r = await createRun({ agent: "general", input: "- first !fail-permanent" });
    await waitForRun(r.id);
    const retried = await api(`/v1/runs/${r.id}/retry`, { method: "POST" });
    expect(retried.status).toBe(200);
    const stale = (await runStub(r.id).claim({ gen: 1, worker: "stale-worker" })) as ClaimResult;
    const fine = stale.status === "drop" && /stale|leased|failed/.test(stale.reason);
    await check("stale message", "failed", r.id, undefined, () => fine);
    expect(fine).toBe(true);
  });

  it("a lease that lapses mid-step: the run is picked up again and the old worker cannot commit", async () => {
    const r = await createRun({ agent: "general", input: "- one\n- two" });
    const zombie = (await runStub(r.id).claim({ gen: 1, worker: "zombie" })) as ClaimResult;
    expect(zombie.status).toBe("claimed");
    const { events } = await check("lease lapses mid-step", "succeeded", r.id, undefined);
    expect(events.some((e) => e.type === "log" && e.data?.code === "lease_expired")).toBe(true);
    if (zombie.status !== "claimed") return;
    const late = (await runStub(r.id).commit({
      kind: "plan",
      token: zombie.token,
      plan: [{ title: "x", instructions: "x" }],
      report: {
        events: [],
        charges: [{ key: "zombie", amount: 5 }],
        usage: { input_tokens: 1, output_tokens: 1, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
        feeCharged: true,
      },
      handoff: false,
    })) as CommitResult;
    expect(late.status).toBe("rejected");
  });

  it("the same commit sent twice is applied once", async () => {
    const r = await createRun({ agent: "general", input: "- one" });
    const claim = (await runStub(r.id).claim({ gen: 1, worker: "twice" })) as ClaimResult;
    expect(claim.status).toBe("claimed");
    if (claim.status !== "claimed") return;
    const commit = {
      kind: "plan" as const,
      token: claim.token,
      plan: [{ title: "one", instructions: "one" }],
      report: unitReport(`${r.id}:1:0:1:1`),
      handoff: true,
    };
    const first = (await runStub(r.id).commit(commit)) as CommitResult;
    const second = (await runStub(r.id).commit(commit)) as CommitResult;
    expect(first.status).toBe("handoff");
    expect(second.status).toBe("rejected");
    const { run, events } = await check("same commit sent twice", "succeeded", r.id, undefined);
    expect(events.filter((e) => e.type === "plan.created")).toHaveLength(1);
    expect(run.usage.input_tokens).toBe(200);
  });

  it("cancel during a retry wait", async () => {
    const r = await createRun({ agent: "general", input: "- answer !fail-transient 3" });
    await waitForRun(r.id, { until: (run) => run.status === "queued" && run.error?.code === "model_overloaded" });
    const res = await api(`/v1/runs/${r.id}/cancel`, { method: "POST" });
    expect(res.status).toBe(200);
    await new Promise((done) => setTimeout(done, 2500));
    const { events } = await check("cancel during retry wait", "canceled", r.id, undefined);
    expect(events.at(-1).type).toBe("run.canceled");
  });

  it("redrive of a dead run: resumes after the last completed step and succeeds", async () => {
    const r = await createRun({ agent: "general", input: "- first\n- second !fail-transient 6" });
    const dead = await waitForRun(r.id, { timeoutMs: 30_000 });
    expect(dead.status).toBe("dead");
    const res = await json(api("/v1/dlq/redrive", { method: "POST", json: { ids: [r.id] } }));
    expect(res.redriven).toBe(1);
    const { run, events } = await check("redrive of a dead run", "succeeded", r.id, undefined);
    expect(run.attempts).toBe(2);
    expect(run.steps.map((s: any) => s.run_attempt)).toEqual([1, 2]);
    expect(events.filter((e) => e.type === "step.started" && e.data.step === 1)).toHaveLength(1);
  });

  it("the queue consumer throws for a whole batch: every message is redelivered and nothing is lost", async () => {
    const t = await newTenant(1000);
    const created = await Promise.all([1, 2, 3].map((i) => createRun({ agent: "general", input: `- run ${i} !slow 200` }, t.key)));
    const messages = created.map((c) => ({ run: c.id, tenant: t.id, gen: 1 }));
    const fail = () => {
      throw new Error("injected: storage unavailable");
    };
    const broken = { ...env, RUNS: { idFromName: fail, get: fail } } as unknown as Env;
    const first = await deliver(messages, "edgecrew-runs-normal", broken);
    // The handler rejects, so the runtime redelivers the whole batch; here it comes again, healthy.
    expect(first.threw).not.toBeNull();
    const second = await deliver(messages);
    expect(second.threw).toBeNull();
    for (const c of created) await check("consumer throws for a whole batch", "succeeded", c.id, t.key);
  });

  it("one idempotency key, ten concurrent creates: one run, one reservation", async () => {
    const t = await newTenant(1000);
    const body = { agent: "general", input: "once", max_credits: 50 };
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => api("/v1/runs", { method: "POST", json: body, key: t.key, headers: { "idempotency-key": "k-1" } })),
    );
    const statuses = answers.map((a) => a.status).sort();
    const bodies = await Promise.all(answers.map((a) => a.json<any>()));
    expect(new Set(bodies.map((b) => b.id)).size).toBe(1);
    expect(statuses.filter((s) => s === 202)).toHaveLength(1);
    expect(statuses.filter((s) => s === 200)).toHaveLength(9);
    const list = await json(api("/v1/runs", { key: t.key }));
    expect(list.runs).toHaveLength(1);
    const other = await api("/v1/runs", {
      method: "POST",
      json: { ...body, input: "different" },
      key: t.key,
      headers: { "idempotency-key": "k-1" },
    });
    expect(other.status).toBe(409);
    await check("idempotent create under concurrency", "succeeded", bodies[0].id, t.key, async () => {
      const ledger = await json(api("/v1/credits/ledger", { key: t.key }));
      return ledger.entries.filter((e: any) => e.kind === "reserve").length === 1;
    });
  });

  it("the tenant object fails the final settlement: the run object sends it again and it settles once", async () => {
    const t = await newTenant(1000);
    // The tenant's own storage refuses to record a run as succeeded: the whole sync transaction
    // (index row, charges, release) aborts and rolls back, and the RPC throws to the run object.
    const refuse = `CREATE TRIGGER refuse_final_settlement BEFORE UPDATE ON runs WHEN NEW.status = 'succeeded'
      BEGIN SELECT RAISE(ABORT, 'injected: the tenant refuses the final settlement'); END`;
    await runInDurableObject(tenantStub(t.id), (_o, state) => void state.storage.sql.exec(refuse));
    const r = await createRun({ agent: "general", input: "- one\n- two", max_credits: 50 }, t.key);
    const shown = await waitForRun(r.id, { key: t.key });
    expect(shown.status).toBe("succeeded");
    // The final settlement was tried and refused: the tenant still indexes the run as unfinished
    // and holds its whole reservation; the run object keeps an alarm to send it again.
    const indexed = await runInDurableObject(tenantStub(t.id), (_o, state) =>
      state.storage.sql.exec<{ status: string }>("SELECT status FROM runs WHERE id = ?", r.id).one(),
    );
    expect(indexed.status).not.toBe("succeeded");
    expect(await json(api("/v1/credits", { key: t.key }))).toMatchObject({ reserved: 50, spent_total: 0 });
    expect(await runInDurableObject(runStub(r.id), (_o, state) => state.storage.getAlarm())).not.toBeNull();
    await runInDurableObject(tenantStub(t.id), (_o, state) => void state.storage.sql.exec("DROP TRIGGER refuse_final_settlement"));
    await until("the settlement retried by the run's alarm", async () => (await json(api("/v1/credits", { key: t.key }))).reserved === 0);
    await check("tenant fails the final settlement", "succeeded", r.id, t.key, () => chargedOnce(r.id, t.key, 1000));
    const listed = await json(api("/v1/runs", { key: t.key }));
    expect(listed.runs.find((x: any) => x.id === r.id).status).toBe("succeeded");
  });

  it("the queue send after a committed handoff fails: the run's alarm sends it again", async () => {
    const t = await newTenant(1000);
    const r = await createRun({ agent: "general", input: "- one\n- two", max_credits: 50 }, t.key);
    const token = await claimAndPlan(runStub(r.id), r.id, "send-fails", ["one", "two"]);
    // The run object's lane queue refuses its next send, as a queue outage would; later sends pass.
    await patchLane(r.id, (n, real) =>
      n === 1
        ? async () => {
            throw new Error("injected: queue send failed");
          }
        : real,
    );
    const stepped = (await runStub(r.id).commit({
      kind: "step",
      token,
      index: 1,
      summary: "one done",
      output: "one",
      report: unitReport(`${r.id}:1:1:1:1`),
      handoff: true,
    })) as CommitResult;
    expect(stepped.status).toBe("handoff");
    // The commit is durable, its continuation was not sent: the object holds an alarm for it.
    expect(await runInDurableObject(runStub(r.id), (_o, state) => state.storage.getAlarm())).not.toBeNull();
    await until(
      "the continuation sent by the alarm",
      async () => (await json(api(`/v1/runs/${r.id}`, { key: t.key }))).status !== "queued",
    );
    expect(await restoreLane(r.id)).toBe(2);
    const { run, events } = await check("queue send fails after a commit", "succeeded", r.id, t.key, () => chargedOnce(r.id, t.key, 1000));
    expect(run.steps.map((s: any) => s.attempts)).toEqual([1, 1]);
    expect(events.filter((e) => e.type === "step.started" && e.data.step === 1)).toHaveLength(1);
  });

  it("the run object is reset after a committed handoff, before its queue send: the run's alarm sends it", async () => {
    const t = await newTenant(1000);
    const r = await createRun({ agent: "general", input: "- one\n- two", max_credits: 50 }, t.key);
    const token = await claimAndPlan(runStub(r.id), r.id, "reset-before-send", ["one", "two"]);
    // The next send never completes; while it hangs, the object is reset (as a deploy or a crash
    // would): the handoff's commit is durable and answered (the alarm stands by before the send
    // starts, so the answer does not wait for the queue), its continuation message never left.
    await patchLane(r.id, (n, real) => (n === 1 ? () => new Promise(() => {}) : real));
    const handoff = runStub(r.id)
      .commit({
        kind: "step",
        token,
        index: 1,
        summary: "one done",
        output: "one",
        report: unitReport(`${r.id}:1:1:1:1`),
        handoff: true,
      })
      .then(
        () => "answered",
        (e: unknown) => String(e),
      );
    await until("the send under way", async () =>
      runInDurableObject(
        runStub(r.id),
        (o) => ((o as unknown as { env: { RUNS_NORMAL: Partial<PatchedLane> } }).env.RUNS_NORMAL.calls ?? 0) > 0,
      ),
    );
    await runInDurableObject(runStub(r.id), (_o, state) => state.abort("injected: object reset before the queue send")).catch(() => {});
    expect(await handoff).toBe("answered");
    try {
      const { run, events } = await check("object reset before the queue send", "succeeded", r.id, t.key, () =>
        chargedOnce(r.id, t.key, 1000),
      );
      expect(run.steps.map((s: any) => s.attempts)).toEqual([1, 1]);
      expect(events.filter((e) => e.type === "step.completed" && e.data.step === 1)).toHaveLength(1);
    } finally {
      await restoreLane(r.id);
    }
  });

  it("the run object loses its memory between units (evicted, storage kept)", async () => {
    const t = await newTenant(1000);
    const r = await createRun({ agent: "general", input: "- one\n- two" }, t.key);
    const token = await claimAndPlan(runStub(r.id), r.id, "evicted-between-units", ["one", "two"]);
    // Nothing is in flight: the next commit reaches a fresh instance that has only the storage.
    await evictDurableObject(runStub(r.id));
    const stepped = (await runStub(r.id).commit({
      kind: "step",
      token,
      index: 1,
      summary: "one done",
      output: "one",
      report: unitReport(`${r.id}:1:1:1:1`),
      handoff: true,
    })) as CommitResult;
    expect(stepped.status).toBe("handoff");
    const chargedOnce = async () => {
      const seen = await json(api(`/v1/runs/${r.id}`, { key: t.key }));
      const credits = await json(api("/v1/credits", { key: t.key }));
      return credits.spent_total === seen.credits.spent && credits.reserved === 0;
    };
    const { run, events } = await check("run object evicted between units", "succeeded", r.id, t.key, chargedOnce);
    expect(run.steps.map((s: any) => s.attempts)).toEqual([1, 1]);
    expect(events.filter((e) => e.type === "plan.created")).toHaveLength(1);
    // What the first instance counted was recorded with the run row: init, claim, the plan
    // commit, and the creation, before the second instance's own.
    expect(run.cost.durable_object_requests).toBeGreaterThanOrEqual(8);
    expect(run.cost.queue_messages).toBeGreaterThanOrEqual(2);
  });

  it("the run object is reset between a run's first claim and the unit's commit", async () => {
    const t = await newTenant(1000);
    // On the low lane the run's message waits for the lane's 2 s batch: the test's worker claims first.
    const r = await createRun({ agent: "general", input: "- one\n- two", priority: "low" }, t.key);
    const stub = runStub(r.id);
    const claim = (await stub.claim({ gen: 1, worker: "reset-before-commit" })) as ClaimResult;
    expect(claim).toMatchObject({ status: "claimed", live: false });
    if (claim.status !== "claimed") return;
    // Nobody follows the run, so its first claim is in the object's memory only, and goes with it
    // when the object is reset (before the running sync 2 s later would have written it).
    await runInDurableObject(stub, (_o, state) => state.abort("injected: object reset after the first claim")).catch(() => {});
    // A new stub reaches the new instance, which has only the storage.
    const planned = (await runStub(r.id).commit({
      kind: "plan",
      token: claim.token,
      plan: [
        { title: "one", instructions: "one" },
        { title: "two", instructions: "two" },
      ],
      report: unitReport(`${r.id}:1:0:1:1`),
      handoff: false,
    })) as CommitResult;
    expect(planned.status).toBe("rejected");
    expect((await runStub(r.id).renew(claim.token)).held).toBe(false);
    // As stored: queued, never started, and the alarm set at creation stands by to dispatch it again.
    const stored = await runInDurableObject(runStub(r.id), async (o, state) => ({
      alarm: await state.storage.getAlarm(),
      run: (o as unknown as { p: { journal: { run(): any } } }).p.journal.run(),
    }));
    expect(stored.run).toMatchObject({ status: "queued", started_at: null, lease_token: null });
    expect(stored.alarm).toBe(stored.run.wake_at);
    // The lane's message (the alarm's copy, had the worker's claim consumed it) runs the run.
    const { events } = await check("object reset between the first claim and its commit", "succeeded", r.id, t.key, () =>
      chargedOnce(r.id, t.key, 1000),
    );
    expect(events.filter((e) => e.type === "run.started")).toHaveLength(1);
    expect(events.filter((e) => e.type === "plan.created")).toHaveLength(1);
  });
});
