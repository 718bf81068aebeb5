// The Scheduler contract against the embedded adapter (an OpsObject instance and its alarm) inside
// workerd, observed through the object's record of sends accepted by the queue; then what only it
// shows: the wiring in deps, refusals, alarm retries of a failed send, and a delivery starting a run.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { type DeliveryRecord, durableScheduler, MAX_BODY_BYTES } from "../../src/adapters/scheduler/durable";
import { scheduler } from "../../src/deps";
import type { OpsObject } from "../../src/ops/ops-object";
import type { Journal } from "../../src/run/journal";
import type { RunObject } from "../../src/run/run-object";
import { schedulerContract } from "../contracts/scheduler.contract";
import { api, json, newTenant, waitForRun } from "../helpers/api";
import { eventually } from "../helpers/external";

function ops(name: string): DurableObjectStub<OpsObject> {
  return env.OPS.get(env.OPS.idFromName(name));
}

schedulerContract("durable", async () => {
  const name = `scheduler-contract-${crypto.randomUUID()}`;
  return {
    scheduler: durableScheduler(env.OPS, name),
    async delivered(key) {
      // `sends` and `sent_at` are written only after the queue accepted the message.
      const record = (await ops(name).deliveryRecord(key)) as DeliveryRecord | null;
      return { times: record?.sends ?? 0, firstSentAt: record?.sent_at ?? null };
    },
  };
});

/** A lane message naming no existing run: the consumer drops it. */
const dropped = { run: "run_000000000000000000000", tenant: "scheduler-test", gen: 1 };

describe("embedded Scheduler", () => {
  it("without QStash, deps' scheduler() stores deliveries in the OpsObject named scheduler", async () => {
    const key = `deps-${crypto.randomUUID()}`;
    await scheduler(env).schedule({ key, at: Date.now(), queue: "RUNS_LOW", body: dropped });
    const record = await eventually("the send", async () => {
      const r = (await ops("scheduler").deliveryRecord(key)) as DeliveryRecord | null;
      return r && r.sends > 0 ? r : undefined;
    });
    expect(record).toMatchObject({ key, queue: "RUNS_LOW", sends: 1, last_error: null });
  });

  it("refuses an unknown queue, a body too large for a queue message, and a body that is not JSON", async () => {
    const s = durableScheduler(env.OPS, `scheduler-refusals-${crypto.randomUUID()}`);
    const at = Date.now() + 60_000;
    await expect(s.schedule({ key: "q", at, queue: "DLQ", body: dropped })).rejects.toThrow(/unknown queue DLQ/);
    await expect(s.schedule({ key: "big", at, queue: "EVENTS", body: "x".repeat(MAX_BODY_BYTES) })).rejects.toThrow(/exceeds/);
    await expect(s.schedule({ key: "undefined", at, queue: "EVENTS", body: undefined })).rejects.toThrow(/not JSON/);
  });

  it("a send the queue refuses stays pending, and the alarm retries it until the queue takes it", async () => {
    const name = `scheduler-retry-${crypto.randomUUID()}`;
    const key = `retry-${crypto.randomUUID()}`;
    // Bypasses the size check on scheduling, so that the queue itself refuses the send.
    await runInDurableObject(ops(name), async (_obj, state) => {
      const oversized = JSON.stringify("x".repeat(MAX_BODY_BYTES + 1024));
      const now = Date.now();
      state.storage.sql.exec(
        "INSERT INTO scheduled_deliveries (key, at, queue, body, next_try) VALUES (?, ?, 'RUNS_LOW', ?, ?)",
        key,
        now,
        oversized,
        now,
      );
      await state.storage.setAlarm(now);
    });
    const failed = await eventually("a failed attempt", async () => {
      const r = (await ops(name).deliveryRecord(key)) as DeliveryRecord | null;
      return r && r.attempts > 0 ? r : undefined;
    });
    expect(failed.sends).toBe(0);
    expect(failed.last_error).not.toBeNull();

    // The fault clears: the next alarm (1 s after a first failure, doubling) sends it.
    await runInDurableObject(ops(name), (_obj, state) => {
      state.storage.sql.exec("UPDATE scheduled_deliveries SET body = ? WHERE key = ?", JSON.stringify(dropped), key);
    });
    const sent = await eventually("the retried send", async () => {
      const r = (await ops(name).deliveryRecord(key)) as DeliveryRecord | null;
      return r && r.sends > 0 ? r : undefined;
    });
    expect(sent).toMatchObject({ sends: 1, last_error: null });
    expect(sent.attempts).toBeGreaterThanOrEqual(2);
  });

  it("a lane message it delivers reaches the lane consumer and starts the run, not before its time", async () => {
    const t = await newTenant(100);
    // An hour ahead: the run's own lane message is delayed by the queue for an hour.
    const created = await json(
      api("/v1/runs", {
        method: "POST",
        key: t.key,
        json: { agent: "general", input: "wake up", run_at: new Date(Date.now() + 3600_000).toISOString() },
      }),
    );
    expect(created.status).toBe("scheduled");
    // Bring the run's time forward, so only a message sent now can start it before the hour.
    const at = Date.now() + 1500;
    const runStub = env.RUNS.get(env.RUNS.idFromName(created.id));
    await runInDurableObject(runStub, (obj: RunObject) => {
      const journal = (obj as any).journal as Journal;
      journal.updateRun({ run_at: at, not_before: at });
      journal.flush();
    });

    const name = `scheduler-run-${crypto.randomUUID()}`;
    const key = `run-${created.id}`;
    await durableScheduler(env.OPS, name).schedule({ key, at, queue: "RUNS_NORMAL", body: { run: created.id, tenant: t.id, gen: 1 } });
    const run = await waitForRun(created.id, { key: t.key });
    expect(run.status).toBe("succeeded");
    expect(Date.parse(run.started_at)).toBeGreaterThanOrEqual(at);
    const record = (await ops(name).deliveryRecord(key)) as DeliveryRecord | null;
    expect(record?.sends).toBe(1);
    expect(record?.sent_at).toBeGreaterThanOrEqual(at);
  });
});
