// The real `edgecrew` binary, run on the PATH's Node against the real Worker: every command group,
// every exit code, --follow through an approval decided from a second process and across dropped
// connections.

import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildCli, cliEnv, nodeVersion, runCli, startCli, startCliWorker, systemNode } from "../support/cli";
import { startCuttingProxy } from "../support/cutting-proxy";
import { client, type LocalWorker } from "../support/local-worker";

let worker: LocalWorker;
let env: Record<string, string>;
const dir = mkdtempSync(join(tmpdir(), "edgecrew-cli-"));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const cli = (...args: string[]) => runCli(args, { env });
const json = (stdout: string) => JSON.parse(stdout) as any;
const ndjson = (stdout: string) =>
  stdout
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as any);

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

describe("the binary", { timeout: SLOW }, () => {
  it("runs on the PATH's Node, not the test runner's", () => {
    const version = nodeVersion(systemNode());
    expect(Number(version.slice(1).split(".")[0])).toBeGreaterThanOrEqual(20);
    console.info(`edgecrew CLI tests run on ${systemNode()} ${version}`);
  });

  it("--version prints the package's version", async () => {
    const { version } = await import("../../package.json");
    const res = await cli("--version");
    expect(res).toMatchObject({ code: 0, stdout: `${version}\n` });
  });

  const commands = [
    [],
    ["run"],
    ["runs"],
    ["runs", "list"],
    ["runs", "get"],
    ["runs", "cancel"],
    ["runs", "retry"],
    ["logs"],
    ["approvals"],
    ["approvals", "list"],
    ["approve"],
    ["reject"],
    ["dlq"],
    ["dlq", "list"],
    ["dlq", "redrive"],
    ["agents"],
    ["agents", "list"],
    ["agents", "get"],
    ["agents", "put"],
    ["agents", "delete"],
    ["credits"],
    ["queues"],
    ["workers"],
    ["events"],
    ["webhooks"],
    ["webhooks", "set"],
    ["admin"],
    ["admin", "tenants"],
    ["admin", "tenants", "create"],
    ["admin", "keys"],
    ["admin", "keys", "create"],
    ["admin", "keys", "revoke"],
    ["admin", "credits"],
    ["admin", "credits", "add"],
  ];
  it.each(commands.map((c) => [c.join(" ") || "(top level)", c] as const))(
    "--help of %s shows an example and exits 0",
    async (_name, path) => {
      const res = await runCli([...path, "--help"]);
      expect(res.code).toBe(0);
      expect(res.stdout).toMatch(/Usage: edgecrew/);
      expect(res.stdout).toMatch(/Examples?:\n {2}\$ edgecrew /);
    },
  );
});

describe("run", { timeout: SLOW }, () => {
  it("--follow shows step progress, waits for an approval decided from a second terminal, ends with status, duration and credits", async () => {
    const input = '- look up !tool memory_set {"key":"order","value":"1042"}\n- check the refund !approve\n- summarise';
    const follower = startCli(["run", "general", input, "--follow"], { env });
    const [, approvalId] = await follower.waitFor(/approve: edgecrew approve (apr_\S+)/);
    const approved = await cli("approve", approvalId!, "--comment", "ok");
    expect(approved.code).toBe(0);
    expect(approved.stdout).toMatch(new RegExp(`${approvalId} approved`));
    const res = await follower.done;
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^run run_\S+ · general · normal · queued$/m);
    expect(res.stdout).toMatch(/^plan: 3 steps$/m);
    expect(res.stdout).toMatch(/^step 1 of 3: look up$/m);
    expect(res.stdout).toMatch(/^ +model scripted · 100 in \/ 20 out tokens · \d+ credits$/m);
    expect(res.stdout).toMatch(/^ +tool memory_set \{"key":"order","value":"1042"\}$/m);
    expect(res.stdout).toMatch(new RegExp(`waiting for approval ${approvalId}: check the refund`));
    expect(res.stdout).toMatch(new RegExp(`approval ${approvalId} approved: ok`));
    expect(res.stdout).toMatch(/^step 3 of 3: summarise$/m);
    expect(res.stdout).toMatch(/^succeeded · in \d+\.\ds · \d+ credits$/m);
    // Not a terminal: plain lines, no spinner frames or cursor codes.
    expect(res.stderr).not.toContain("\u001b[");
  });

  it("--follow --json prints each event once as NDJSON, in seq order, ending with the final one", async () => {
    const res = await cli("run", "general", "- one\n- two", "--follow", "--json");
    expect(res.code).toBe(0);
    const events = ndjson(res.stdout);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(events.at(-1).type).toBe("run.succeeded");
  });

  it("--wait exits 1 when the run fails, and prints the error", async () => {
    const res = await cli("run", "general", "- break !fail-permanent", "--wait");
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(/^failed · in [\d.]+s · \d+ credits$/m);
    expect(res.stdout).toMatch(/^error: /m);
  });

  it("--wait --json prints the final run; metadata, priority and max credits are sent", async () => {
    const res = await cli(
      "run",
      "general",
      "do it",
      "--wait",
      "--json",
      "--metadata",
      "ticket=42",
      "--metadata",
      "team=ops",
      "--priority",
      "low",
      "--max-credits",
      "20",
    );
    expect(res.code).toBe(0);
    const run = json(res.stdout);
    expect(run).toMatchObject({ status: "succeeded", priority: "low", metadata: { ticket: "42", team: "ops" } });
    expect(run.credits.spent).toBeGreaterThan(0);
  });

  it("takes the input from @file and from standard input", async () => {
    const fromFile = json((await cli("run", "general", `@${file("task.txt", "- from a file")}`, "--json")).stdout);
    const fromStdin = json((await runCli(["run", "general", "-", "--json"], { env, stdin: "- from stdin" })).stdout);
    const api = client(worker.origin);
    expect((await api.getJson(`/v1/runs/${fromFile.id}`)).input).toBe("- from a file");
    expect((await api.getJson(`/v1/runs/${fromStdin.id}`)).input).toBe("- from stdin");
  });

  it("the same --idempotency-key gives the same run", async () => {
    const a = json((await cli("run", "general", "same", "--idempotency-key", "cli-k1", "--json")).stdout);
    const b = json((await cli("run", "general", "same", "--idempotency-key", "cli-k1", "--json")).stdout);
    expect(b.id).toBe(a.id);
  });
});

describe("exit codes", { timeout: SLOW }, () => {
  const runCount = async () => (await client(worker.origin).getJson("/v1/runs?limit=100")).runs.length;

  it.each([
    ["an unknown agent", ["run", "nosuch", "hi"], /unknown agent "nosuch" \(agents: .*general/],
    ["a missing input file", ["run", "general", "@/no/such/file.txt"], /input: file not found: \/no\/such\/file.txt/],
    ["no input", ["run", "general"], /input is required/],
    ["an unknown priority", ["run", "general", "hi", "--priority", "urgent"], /urgent.*invalid|Allowed choices/i],
    ["a bad --max-credits", ["run", "general", "hi", "--max-credits", "lots"], /--max-credits must be an integer/],
    ["a bad --metadata", ["run", "general", "hi", "--metadata", "novalue"], /--metadata takes key=value/],
    ["an unknown option", ["run", "general", "--folow"], /unknown option '--folow'/],
    ["--follow with --wait", ["run", "general", "hi", "--follow", "--wait"], /one of --follow and --wait/],
    ["an unknown command", ["runz"], /unknown command 'runz'/],
  ])("2 for %s, and no run is created", async (_case, args, message) => {
    const before = await runCount();
    const res = await cli(...args);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(message);
    expect(await runCount()).toBe(before);
  });

  it("2 for invalid agent JSON and a missing agent file, and nothing is saved", async () => {
    const bad = await cli("agents", "put", "cli-bad", "-f", file("bad.json", "{ not json"));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/-f: invalid JSON in .*bad\.json/);
    const missing = await cli("agents", "put", "cli-bad", "-f", join(dir, "none.json"));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/-f: file not found/);
    expect((await cli("agents", "get", "cli-bad")).code).toBe(3);
  });

  it("2 without an API key or admin token", async () => {
    const noKey = await runCli(["credits"], { env: { EDGECREW_URL: worker.origin } });
    expect(noKey).toMatchObject({ code: 2, stderr: expect.stringMatching(/no API key: set EDGECREW_API_KEY or pass --key/) });
    const noAdmin = await runCli(["admin", "tenants", "create", "x"], { env: { EDGECREW_URL: worker.origin } });
    expect(noAdmin).toMatchObject({ code: 2, stderr: expect.stringMatching(/no admin token/) });
  });

  it("3 when the API answers an error: its code and message, and the envelope with --json", async () => {
    const res = await cli("runs", "get", "run_doesnotexist");
    expect(res).toMatchObject({ code: 3, stderr: "edgecrew: not_found: run not found\n" });
    const asJson = await cli("runs", "get", "run_doesnotexist", "--json");
    expect(json(asJson.stdout)).toEqual({ error: { code: "not_found", message: "run not found" } });
    const badKey = await cli("credits", "--key", "ec_wrong");
    expect(badKey.code).toBe(3);
    expect(badKey.stderr).toMatch(/^edgecrew: unauthorized: /);
  });

  it("4 when the API cannot be reached", async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const port = (closed.address() as { port: number }).port;
    await new Promise((r) => closed.close(r));
    const res = await runCli(["queues"], { env: { ...env, EDGECREW_URL: `http://127.0.0.1:${port}` } });
    expect(res.code).toBe(4);
    expect(res.stderr).toMatch(new RegExp(`could not reach http://127.0.0.1:${port}: ECONNREFUSED`));
  });

  it("flags override the environment", async () => {
    const res = await runCli(["credits", "--json", "--url", worker.origin, "--key", env.EDGECREW_API_KEY!], {
      env: { EDGECREW_URL: "http://127.0.0.1:9", EDGECREW_API_KEY: "ec_wrong" },
    });
    expect(res.code).toBe(0);
    expect(json(res.stdout)).toHaveProperty("available");
  });
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
    expect(follow.stdout).toMatch(/^succeeded · in [\d.]+s · \d+ credits$/m);
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
