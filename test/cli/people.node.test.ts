// The real `edgecrew` binary against the real Worker: a run's workspace files, exceptions and their
// resolution, feedback with the training export, and the audit trail those changes leave.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildCli, cliEnv, parseNdjson, runCli, startCliWorker, tempFile } from "../support/cli";
import { client, type LocalWorker } from "../support/local-worker";

let worker: LocalWorker;
let env: Record<string, string>;
const cli = (...args: string[]) => runCli(args, { env });
const json = (stdout: string) => JSON.parse(stdout) as any;

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

describe("files, exceptions, feedback, audit", { timeout: SLOW }, () => {
  it("files lists a run's workspace, prints a file and saves it with -o; a missing one exits 3", async () => {
    const api = client(worker.origin);
    const run = await api.createRun({ agent: "general", input: "- read the notes", files: { "notes/todo.csv": "a,b\n1,2\n" } });
    await api.waitForRun(run.id, (r) => r.status === "succeeded");

    const listed = await cli("files", run.id);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^notes\/todo\.csv +8 /m);
    const printed = await cli("files", run.id, "notes/todo.csv");
    expect(printed).toMatchObject({ code: 0, stdout: "a,b\n1,2\n" });
    const target = join(tempFile("placeholder.txt", ""), "..", "saved.csv");
    const saved = await cli("files", run.id, "notes/todo.csv", "-o", target);
    expect(saved.code).toBe(0);
    expect(readFileSync(target, "utf8")).toBe("a,b\n1,2\n");

    const missing = await cli("files", run.id, "notes/none.csv");
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/^edgecrew: not_found: /);
    expect((await cli("files", run.id, "-o", target)).code).toBe(2);
  });

  it("exceptions list shows a failed run; resolve records the output once; the audit trail has it", async () => {
    const failed = json((await cli("run", "general", "- charge the card !fail-permanent", "--wait", "--json")).stdout);
    expect(failed.status).toBe("failed");
    const open = await cli("exceptions", "list");
    expect(open.code).toBe(0);
    expect(open.stdout).toMatch(new RegExp(`^${failed.id} +general +failed `, "m"));

    const output = tempFile("outcome.json", '{"charged": "by hand"}');
    const resolved = await cli("resolve", failed.id, "--output", `@${output}`, "--comment", "done by support", "--json");
    expect(resolved.code).toBe(0);
    expect(json(resolved.stdout)).toMatchObject({
      id: failed.id,
      status: "failed",
      resolution: { action: "resolved", output: { charged: "by hand" }, comment: "done by support" },
    });
    const twice = await cli("resolve", failed.id, "--dismiss");
    expect(twice.code).toBe(3);
    expect(twice.stderr).toMatch(/^edgecrew: conflict: /);
    expect((await cli("resolve", failed.id, "--dismiss", "--output", "{}")).code).toBe(2);
    expect(json((await cli("exceptions", "list", "--status", "resolved", "--json")).stdout).exceptions.map((e: any) => e.run_id)).toContain(
      failed.id,
    );

    // The trail is oldest first: page through it with --after until the resolution appears.
    let after = 0;
    let found = false;
    for (let page = 0; page < 50 && !found; page++) {
      const audit = json((await cli("audit", "--after", String(after), "--json")).stdout);
      found = audit.entries.some((e: any) => e.action === "run.resolved" && e.target?.id === failed.id);
      if (audit.next_after === null) break;
      after = audit.next_after;
    }
    expect(found).toBe(true);
  });

  it("feedback rates a final run, lists it and exports the training example; a bad rating exits 2", async () => {
    const done = json((await cli("run", "general", "- write the summary", "--wait", "--json")).stdout);
    expect(done.status).toBe("succeeded");
    expect((await cli("feedback", done.id, "--rating", "sideways")).code).toBe(2);
    const given = await cli("feedback", done.id, "--rating", "down", "--comment", "too long", "--correction", '"shorter"', "--json");
    expect(given.code).toBe(0);
    expect(json(given.stdout)).toMatchObject({ run_id: done.id, rating: "down", comment: "too long" });

    const listed = await cli("feedback", "list", "--rating", "down");
    expect(listed.stdout).toMatch(new RegExp(` ${done.id} +general +down +too long `));
    const exported = parseNdjson((await cli("feedback", "list", "--export")).stdout);
    expect(exported.find((x) => x.run_id === done.id)).toMatchObject({
      input: "- write the summary",
      rating: "down",
      correction: "shorter",
    });
  });
});
