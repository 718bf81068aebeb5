// The real `edgecrew` binary against the real Worker: runs, logs, approvals, agents, operations
// and admin commands, and --follow across connections the server side drops.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildCli, cliEnv, parseNdjson, runCli, startCliWorker, tempFile } from "../support/cli";
import { startCuttingProxy } from "../support/cutting-proxy";
import { client, type LocalWorker } from "../support/local-worker";

let worker: LocalWorker;
let env: Record<string, string>;
const file = tempFile;
const cli = (...args: string[]) => runCli(args, { env });
const json = (stdout: string) => JSON.parse(stdout) as any;
const ndjson = parseNdjson;

/** Each test spawns processes and waits for runs: generous on a loaded machine, never a timing assertion. */
const SLOW = 180_000;

beforeAll(async () => {
  buildCli();
  worker = await startCliWorker();
  env = cliEnv(worker.origin);
}, 120_000);
afterAll(async () => {
  await worker?.stop();
});

describe("runs, logs, approvals", { timeout: SLOW }, () => {
  it("runs list, get, cancel and retry", async () => {
    const waiting = json((await cli("run", "general", "- hold !approve", "--json")).stdout);
    await client(worker.origin).waitForRun(waiting.id, (r) => r.status === "awaiting_approval");
    const listed = await cli("runs", "list", "--status", "awaiting_approval");
    expect(listed.stdout).toMatch(new RegExp(`^${waiting.id} +awaiting_approval +general +normal`, "m"));
    const got = await cli("runs", "get", waiting.id);
    expect(got.stdout).toMatch(/^ {2}1\. \[running\] hold$/m);
    const canceled = await cli("runs", "cancel", waiting.id);
    expect(canceled).toMatchObject({ code: 0, stdout: `${waiting.id} · canceled\n` });
    const again = await cli("runs", "cancel", waiting.id);
    expect(again.code).toBe(3);
    expect(again.stderr).toMatch(/^edgecrew: conflict: /);

    const failed = json((await cli("run", "general", "- break !fail-permanent", "--wait", "--json")).stdout);
    const retried = await cli("runs", "retry", failed.id, "--json");
    expect(retried.code).toBe(0);
    expect(json(retried.stdout)).toMatchObject({ id: failed.id, status: "queued" });
  });

  it("runs retry --input @file --from-step corrects a failed run; logs --follow shows it to its success", async () => {
    const failed = json((await cli("run", "general", "- look up\n- send !fail-permanent", "--wait", "--json")).stdout);
    expect(failed.status).toBe("failed");
    const fixed = file("fixed.txt", "- look up\n- send it again");
    const retried = await cli("runs", "retry", failed.id, "--input", `@${fixed}`, "--from-step", "2", "--json");
    expect(retried.code).toBe(0);
    expect(json(retried.stdout)).toMatchObject({ id: failed.id, status: "queued" });
    // The log holds the first run.failed and, later, the retry's outcome: following goes past the first.
    const followed = await cli("logs", failed.id, "--follow");
    expect(followed.code).toBe(0);
    expect(followed.stdout).toMatch(/^step 2 of 2: send it again$/m);
    expect(followed.stdout).toMatch(/^succeeded · /m);
    expect((await client(worker.origin).getJson(`/v1/runs/${failed.id}`)).input).toBe("- look up\n- send it again");
  });

  it("logs prints every event; --json as NDJSON; --after skips; --follow on a finished run ends at once", async () => {
    const run = json((await cli("run", "general", "- a\n- b", "--wait", "--json")).stdout);
    const all = ndjson((await cli("logs", run.id, "--json")).stdout);
    expect(all.at(-1).type).toBe("run.succeeded");
    const later = ndjson((await cli("logs", run.id, "--json", "--after", "3")).stdout);
    expect(later.map((e) => e.seq)).toEqual(all.slice(3).map((e) => e.seq));
    const text = await cli("logs", run.id);
    expect(text.stdout).toMatch(/^ {3}1 {2}\S+ {2}run.created/m);
    const follow = await cli("logs", run.id, "--follow");
    expect(follow.code).toBe(0);
    expect(follow.stdout).toMatch(/^succeeded · in (\d+ms|[\d.]+s) · \d+ credits$/m);
  });

  it("approvals list shows a pending approval; reject tells the run", async () => {
    const run = json((await cli("run", "general", "- risky !approve", "--json")).stdout);
    await client(worker.origin).waitForRun(run.id, (r) => r.status === "awaiting_approval");
    const list = await cli("approvals", "list");
    const id = list.stdout.match(new RegExp(`^(apr_\\S+) +${run.id}`, "m"))?.[1];
    expect(id).toBeDefined();
    const rejected = await cli("reject", id!, "--comment", "too risky");
    expect(rejected).toMatchObject({ code: 0, stdout: `${id} rejected (run ${run.id}, step 1)\n` });
    const twice = await cli("approve", id!);
    expect(twice.code).toBe(3);
  });
});

describe("agents and operations", { timeout: SLOW }, () => {
  it("agents put, get, list and delete a custom agent", async () => {
    const agentFile = file("triage.json", JSON.stringify({ system_prompt: "Sort tickets.", max_steps: 3 }));
    expect((await cli("agents", "put", "cli-triage", "-f", agentFile)).stdout).toBe("agent cli-triage saved\n");
    expect(json((await cli("agents", "get", "cli-triage", "--json")).stdout)).toMatchObject({ name: "cli-triage", max_steps: 3 });
    expect((await cli("agents", "list")).stdout).toMatch(/^cli-triage /m);
    expect((await cli("agents", "delete", "cli-triage")).code).toBe(0);
    expect((await cli("agents", "get", "cli-triage")).code).toBe(3);
  });

  it("credits, the ledger, queues, workers and events", async () => {
    expect((await cli("credits")).stdout).toMatch(/^available \d+ · reserved \d+ · spent \d+$/m);
    expect((await cli("credits", "--ledger", "--limit", "2")).stdout).toMatch(
      /^CREATED_AT +KIND +AMOUNT +BALANCE_AFTER +RUN_ID\n.*(charge|release|reserve)/,
    );
    expect((await cli("queues")).stdout).toMatch(/^high +\d+ +\d+$/m);
    expect((await cli("workers", "--json")).code).toBe(0);
    const events = json((await cli("events", "--json", "--limit", "5")).stdout);
    expect(events.events.length).toBeGreaterThan(0);
  });

  it("a run whose retries run out: exit 1, listed in the dead-letter queue, redriven by id", async () => {
    const dead = await cli("run", "general", "- flaky !fail-transient 5", "--wait", "--json");
    expect(dead.code).toBe(1);
    const run = json(dead.stdout);
    expect(run.status).toBe("dead");
    expect((await cli("dlq", "list")).stdout).toMatch(new RegExp(`^${run.id} +general `, "m"));
    expect(await cli("dlq", "redrive", run.id)).toMatchObject({ code: 0, stdout: "1 run redriven\n" });
    // Redriven, it runs again and (the model still failing) dies again: a second final event.
    const api = client(worker.origin);
    await api.waitForRun(run.id, () => true);
    let deaths = 0;
    for (let i = 0; i < 300 && deaths < 2; i++) {
      deaths = (await api.events(run.id)).filter((e) => e.type === "run.dead").length;
      if (deaths < 2) await new Promise((r) => setTimeout(r, 100));
    }
    expect(deaths).toBe(2);
  });

  it("webhooks set shows the signing secret once", async () => {
    const res = await cli("webhooks", "set", "http://127.0.0.1:9/hook", "--events", "run.succeeded,run.failed", "--json");
    expect(res.code).toBe(0);
    expect(json(res.stdout)).toMatchObject({
      url: "http://127.0.0.1:9/hook",
      events: ["run.succeeded", "run.failed"],
      secret: expect.any(String),
    });
  });

  it("admin: a tenant, a key that works, credits added, the key revoked", async () => {
    const tenant = json((await cli("admin", "tenants", "create", "CLI Co", "--id", "cli-co", "--credits", "30", "--json")).stdout);
    expect(tenant).toMatchObject({ id: "cli-co", name: "CLI Co" });
    const key = json((await cli("admin", "keys", "create", "cli-co", "--json")).stdout);
    const asTenant = (...args: string[]) => runCli(args, { env: { EDGECREW_URL: worker.origin, EDGECREW_API_KEY: key.key } });
    expect(json((await asTenant("credits", "--json")).stdout).available).toBe(30);
    expect((await cli("admin", "credits", "add", "cli-co", "12", "--reason", "top up")).code).toBe(0);
    expect(json((await asTenant("credits", "--json")).stdout).available).toBe(42);
    expect((await cli("admin", "keys", "revoke", "cli-co", key.id)).stdout).toBe(`key ${key.id} revoked\n`);
    const refused = await asTenant("credits");
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/unauthorized/);
  });
});

describe("--follow across dropped connections", { timeout: SLOW }, () => {
  const slowRun = "- first !slow 300\n- second !slow 300\n- third !slow 300";

  it("run --follow --json: each event exactly once, in order, though the server side cut the stream twice", async () => {
    const proxy = await startCuttingProxy(worker.origin, { cuts: 2, afterEvents: 4 });
    try {
      const res = await runCli(["run", "general", slowRun, "--follow", "--json"], { env: { ...env, EDGECREW_URL: proxy.origin } });
      expect(res.code).toBe(0);
      expect(proxy.cuts).toBe(2);
      const events = ndjson(res.stdout);
      expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
      expect(events.at(-1).type).toBe("run.succeeded");
      // The newest run is this one: what the CLI printed is exactly the server's log.
      const api = client(worker.origin);
      const newest = (await api.getJson("/v1/runs?limit=1")).runs[0].id;
      expect(events).toEqual(await api.events(newest));
    } finally {
      await proxy.close();
    }
  });

  it("logs --follow says it resumes and still shows every step once", async () => {
    const run = json((await cli("run", "general", slowRun, "--json")).stdout);
    const proxy = await startCuttingProxy(worker.origin, { cuts: 1, afterEvents: 5 });
    try {
      const res = await runCli(["logs", run.id, "--follow"], { env: { ...env, EDGECREW_URL: proxy.origin } });
      expect(res.code).toBe(0);
      expect(proxy.cuts).toBe(1);
      expect(res.stderr).toMatch(/connection lost .*; resuming after event \d+/);
      for (const title of ["first", "second", "third"])
        expect(res.stdout.match(new RegExp(`^step \\d of 3: ${title}$`, "gm"))).toHaveLength(1);
      expect(res.stdout).toMatch(/^succeeded · /m);
      const server = await client(worker.origin).events(run.id);
      expect(server.at(-1).type).toBe("run.succeeded");
    } finally {
      await proxy.close();
    }
  });
});
