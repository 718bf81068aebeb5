// The real `edgecrew` binary, run on the PATH's Node against the real Worker: the binary itself,
// --help of every command, `run` (--follow through an approval decided from a second process,
// --wait, --json, input from a file and stdin) and every exit code.

import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildCli, cliEnv, nodeVersion, parseNdjson, runCli, startCli, startCliWorker, systemNode, tempFile } from "../support/cli";
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
    expect(res.stdout).toMatch(/^succeeded · in (\d+ms|\d+\.\ds) · \d+ credits$/m);
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
    expect(res.stdout).toMatch(/^failed · in (\d+ms|[\d.]+s) · \d+ credits$/m);
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
    const missing = await cli("agents", "put", "cli-bad", "-f", "/no/such/dir/none.json");
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
