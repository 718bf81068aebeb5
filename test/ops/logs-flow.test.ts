// Structured logs end to end inside workerd: runs driven through retries, the retry policy's
// dead end, the dead-letter queue and a failing webhook write JSON lines that carry the run's
// id, tenant and seq with a level, and no line holds the tenant's key, its webhook secret or the
// admin token.

import { createExecutionContext, createMessageBatch, env, waitOnExecutionContext } from "cloudflare:test";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import worker from "../../src/index";
import { ADMIN, createRun, newTenant, waitForRun } from "../helpers/api";
import { deliveriesSettled, scope, subscribe } from "../helpers/webhooks";

interface Line {
  level: string;
  event: string;
  msg: string;
  run_id?: string;
  tenant?: string;
  seq?: number;
  [k: string]: unknown;
}

const raw: string[] = [];
const consoleMethods = ["debug", "log", "info", "warn", "error"] as const;

beforeAll(() => {
  for (const m of consoleMethods) {
    vi.spyOn(console, m).mockImplementation((...args: unknown[]) => {
      raw.push(args.map(String).join(" "));
    });
  }
});

afterAll(() => vi.restoreAllMocks());

/** Every captured line that is structured (the test runner's own output is not). */
function lines(): Line[] {
  return raw.filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as Line);
}

async function until(what: string, ok: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function deliverToDlq(body: { run: string; tenant: string; gen: number }): Promise<void> {
  const batch = createMessageBatch("edgecrew-dlq", [{ id: `dlq-${crypto.randomUUID()}`, timestamp: new Date(), attempts: 6, body }]);
  const ctx = createExecutionContext();
  await worker.queue(batch as MessageBatch<unknown>, env, ctx);
  await waitOnExecutionContext(ctx);
}

describe("structured logs of a troubled tenant", () => {
  let tenant: { id: string; key: string };
  let webhookSecret: string;
  let retried: string;
  let lettered: string;

  beforeAll(async () => {
    tenant = await newTenant(1000);
    // The tenant's webhook answers 500 to every delivery.
    webhookSecret = (await subscribe(tenant.key, scope(), undefined, "?status=500")).secret;
    retried = (await createRun({ agent: "general", input: "- flaky call !fail-transient 9" }, tenant.key)).id;
    expect((await waitForRun(retried, { key: tenant.key, timeoutMs: 30_000 })).status).toBe("dead");
    // A run waiting for its time whose message the queue gave up on: the dead-letter consumer.
    const later = new Date(Date.now() + 3_600_000).toISOString();
    lettered = (await createRun({ agent: "general", input: "- later", run_at: later }, tenant.key)).id;
    await deliverToDlq({ run: lettered, tenant: tenant.id, gen: 1 });
    expect((await waitForRun(lettered, { key: tenant.key })).status).toBe("dead");
    await until("a failed webhook delivery", () => lines().some((l) => l.event === "webhook.delivery_failed" && l.tenant === tenant.id));
  }, 60_000);

  // The failing receiver's deliveries end (captured here) before the next test file starts.
  afterAll(() => deliveriesSettled(tenant.key), 60_000);

  it("logs every status change of a run with its id, tenant, seq and level, in seq order", () => {
    const transitions = lines().filter((l) => l.event === "run.transition" && l.run_id === retried);
    expect(transitions.map((l) => l.status)).toEqual(expect.arrayContaining(["created", "queued", "started", "dead"]));
    for (const l of transitions) {
      expect(l).toMatchObject({ tenant: tenant.id, agent: "general", priority: "normal" });
      expect(["info", "warn", "error"]).toContain(l.level);
      expect(Number.isInteger(l.seq)).toBe(true);
    }
    const seqs = transitions.map((l) => l.seq as number);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(transitions.at(-1)).toMatchObject({ status: "dead", level: "error", code: "model_overloaded" });
  });

  it("logs each retry as a warning with the attempt, delay and failure code", () => {
    const retries = lines().filter((l) => l.event === "run.retry" && l.run_id === retried);
    expect(retries.length).toBeGreaterThanOrEqual(2);
    for (const l of retries) {
      expect(l).toMatchObject({ level: "warn", tenant: tenant.id, code: "model_overloaded" });
      expect(l.next_attempt).toBe((l.attempt as number) + 1);
      expect(typeof l.delay_ms).toBe("number");
      expect(Number.isInteger(l.seq)).toBe(true);
    }
    const models = lines().filter((l) => l.event === "model.error" && l.run_id === retried);
    expect(models.length).toBeGreaterThanOrEqual(retries.length);
    expect(models[0]).toMatchObject({ level: "warn", tenant: tenant.id, code: "model_overloaded", provider: "scripted" });
  });

  it("logs a message reaching the dead-letter queue, then the run's dead transition", () => {
    const letter = lines().find((l) => l.event === "run.dead_letter" && l.run_id === lettered);
    expect(letter).toMatchObject({ level: "error", tenant: tenant.id, gen: 1, queue: "edgecrew-dlq" });
    const dead = lines().find((l) => l.event === "run.transition" && l.run_id === lettered && l.status === "dead");
    expect(dead).toMatchObject({ level: "error", tenant: tenant.id, code: "worker_crash" });
    expect(Number.isInteger(dead?.seq)).toBe(true);
  });

  it("logs a failed webhook delivery with the tenant, the host and the answer, not the URL's query", () => {
    const failed = lines().filter((l) => l.event === "webhook.delivery_failed" && l.tenant === tenant.id);
    expect(failed[0]).toMatchObject({ level: "warn", target: "tenant", http_status: 500, error: "HTTP 500", attempt: 1, final: false });
    expect(failed[0]?.host).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(JSON.stringify(failed)).not.toContain("status=500");
  });

  it("holds no secret: not the tenant's API key, not its webhook secret, not the admin token", () => {
    const all = raw.join("\n");
    expect(lines().length).toBeGreaterThan(10);
    expect(all).not.toContain(tenant.key);
    expect(all).not.toContain(webhookSecret);
    expect(all).not.toContain(webhookSecret.slice("whsec_".length));
    expect(all).not.toContain(ADMIN);
  });
});
