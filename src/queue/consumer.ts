// Queue consumers: lane messages run a run's units until it finishes, waits or hands off; the
// dead-letter queue marks runs dead. A message is acked only after its outcome is committed.

import { runClaimed } from "../agent/runner";
import { toolsFor } from "../agent/tools";
import { httpTool } from "../agent/tools/http-tool";
import { config, heartbeats, laneQueue, modelClient } from "../deps";
import { queueDelaySeconds, queueKind } from "../domain/lanes";
import type { Priority } from "../domain/types";
import { errorText, log } from "../ops/log";
import { sendLaneMessage } from "../run/later";
import type { ClaimResult, CommitResult, RenewResult, RunMessage, WorkState } from "../run/protocol";
import { handleDeliveries } from "./deliveries";
import { LaneWorkers } from "./lane-worker";
import { parseRunMessage } from "./messages";
import { toolServices } from "./tool-services";

export async function handleQueue(batch: MessageBatch<unknown>, env: Env, ctx: ExecutionContext): Promise<void> {
  const kind = queueKind(batch.queue);
  if (!kind) {
    log.error("queue.unknown", "message from an unknown queue; retried later", { queue: batch.queue });
    batch.retryAll({ delaySeconds: 60 });
    return;
  }
  switch (kind.kind) {
    case "lane":
      return handleLane(batch, env, ctx, kind.lane);
    case "dlq":
      return handleDead(batch, env);
    case "events":
      return handleDeliveries(batch, env);
  }
}

/** This isolate's consumers, one per lane (src/queue/lane-worker.ts). */
const laneWorkers = new LaneWorkers();

async function handleLane(batch: MessageBatch<unknown>, env: Env, ctx: ExecutionContext, lane: Priority): Promise<void> {
  const cfg = config(env);
  // Liveness reporting is never awaited before the runs and never fails the batch.
  const work = laneWorkers.batch(lane, batch.messages.length, { beats: heartbeats(env), ttlMs: cfg.leaseMs });
  const deadline = Date.now() + cfg.invocationBudgetMs;
  try {
    await Promise.all(
      batch.messages.map((m) =>
        handleRunMessage(m, env, work.worker, deadline).finally(() => {
          work.runEnded();
        }),
      ),
    );
  } finally {
    ctx.waitUntil(work.end());
  }
}

async function handleRunMessage(msg: Message<unknown>, env: Env, worker: string, deadline: number): Promise<void> {
  const body = parseRunMessage(msg.body);
  if (!body) {
    log.error("queue.malformed_message", "malformed lane message dropped", { queue: "lane", message_id: msg.id });
    msg.ack();
    return;
  }
  const stub = env.RUNS.get(env.RUNS.idFromName(body.run));
  // The run object calls this back when it takes the lease (cancel): the unit stops at once and
  // this message's slot is free. A callback rides on the claim, so it costs no request until used.
  const stop = new AbortController();
  const onCancel = (reason: string) => stop.abort(reason);
  const claim = (await stub.claim({ gen: body.gen, worker, onCancel })) as ClaimResult;
  if (claim.status === "drop") {
    msg.ack();
    return;
  }
  const cfg = config(env);
  if (claim.status === "later") {
    await sendLater(env, claim.delayMs, body, claim.priority);
    msg.ack();
    return;
  }
  try {
    const res = await runClaimed(
      {
        commit: async (r) => (await stub.commit(r)) as CommitResult,
        renew: async (t) => (await stub.renew(t)) as RenewResult,
        progress: (t, note) => stub.progress(t, note),
      },
      claim.token,
      claim.work,
      {
        model: modelClient(env),
        defaultModel: cfg.anthropicModel,
        pricing: cfg.pricing,
        tools: (work: WorkState) => ({
          tools: toolsFor(work.agent, httpTool),
          ctx: {
            tenantId: work.tenantId,
            runId: work.runId,
            agent: work.agent,
            step: work.unit.index,
            services: toolServices(env, work.tenantId),
          },
        }),
        deadline,
        renewEveryMs: Math.max(1000, cfg.leaseMs / 3),
      },
      stop,
      { watched: claim.watched ?? false, live: claim.live ?? false },
    );
    if (res.status === "stopped")
      log.info("run.unit_stopped", "unit stopped: the run took it back", { run_id: body.run, tenant: body.tenant, reason: res.reason });
    if (res.status === "dead") await env.DLQ.send(body, { contentType: "json" });
    msg.ack();
  } catch (err) {
    // An unexpected error (a crash): free the lease so the redelivery can claim, then redeliver.
    const reason = err instanceof Error ? err.message : String(err);
    log.error("run.crashed", "run execution crashed; message will be redelivered", {
      run_id: body.run,
      tenant: body.tenant,
      error: reason,
    });
    await stub
      .abandon(claim.token, reason)
      .catch((e: unknown) =>
        log.error("run.abandon_failed", "abandon failed", { run_id: body.run, tenant: body.tenant, error: errorText(e) }),
      );
    msg.retry();
  }
}

async function sendLater(env: Env, delayMs: number, body: RunMessage, priority: Priority): Promise<void> {
  // Past the queue's limit without a Scheduler: the longest queue delay; the claim then answers
  // "later" again for the rest.
  if ((await sendLaneMessage(env, body, priority, delayMs)) === "too_far") {
    const limit = config(env).queueDelayLimitMs;
    await laneQueue(env, priority).send(body, { delaySeconds: queueDelaySeconds(limit), contentType: "json" });
  }
}

async function handleDead(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  for (const msg of batch.messages) {
    const body = parseRunMessage(msg.body);
    if (body) {
      log.error("run.dead_letter", "run message reached the dead-letter queue; the run is marked dead", {
        run_id: body.run,
        tenant: body.tenant,
        gen: body.gen,
        queue: batch.queue,
        delivery_attempts: msg.attempts,
      });
      const stub = env.RUNS.get(env.RUNS.idFromName(body.run));
      await stub.markDead("delivery retries exhausted: the message reached the dead-letter queue", body.gen);
    } else log.error("queue.malformed_message", "malformed dead-letter message dropped", { queue: batch.queue, message_id: msg.id });
    msg.ack();
  }
}
