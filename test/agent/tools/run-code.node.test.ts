// run_code against the real Worker (wrangler's local runtime): each scenario is a run of the
// built-in `general` agent whose scripted step calls run_code; the run must go on whatever the code does.

import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalWorker } from "../../support/local-worker";
import { client, startEdgecrew } from "../../support/local-worker";

let worker: LocalWorker;
let api: ReturnType<typeof client>;

beforeAll(async () => {
  worker = await startEdgecrew();
  api = client(worker.origin);
}, 120_000);

afterAll(async () => {
  await worker?.stop();
});

interface Called {
  run: any;
  /** What the tool answered: `{result, logs}` or, for a tool error, `{result: null, logs, error}`. */
  answer: any;
  ok: boolean;
}

/** Runs one step that calls run_code with `input`, waits for the run, and returns the tool's answer. */
async function runCode(tool: Record<string, unknown>, extra: Record<string, unknown> = {}): Promise<Called> {
  const created = await api.createRun({ agent: "general", input: `- run the code !tool run_code ${JSON.stringify(tool)}`, ...extra });
  const run = await api.waitForRun(created.id);
  const result = (await api.events(created.id)).find((e) => e.type === "tool.result" && e.data.tool === "run_code");
  expect(result, "run_code was called").toBeDefined();
  return { run, answer: run.output?.output?.result, ok: result.data.ok };
}

/** The run went on: the step that called run_code completed and the run succeeded. */
function expectRunWentOn(c: Called) {
  expect(c.run.status).toBe("succeeded");
  expect(c.run.steps.map((s: any) => s.status)).toEqual(["completed"]);
}

function expectToolError(c: Called, name: string, message?: string | RegExp) {
  expectRunWentOn(c);
  expect(c.ok).toBe(false);
  expect(c.answer.result).toBeNull();
  expect(c.answer.error.name).toBe(name);
  if (message !== undefined) expect(c.answer.error.message).toMatch(message);
}

describe("run_code", () => {
  it("runs the module with its input and files, returns the result and console lines, and keeps the files", async () => {
    const code = `export default async (input, { files }) => {
      const rows = input.rows.map((r) => r.join(",")).join("\\n");
      const saved = await files.write("report.csv", "name,total\\n" + rows + "\\n");
      console.log("wrote", saved.size, "bytes");
      console.warn("careful");
      return { saved, seed: await files.read("seed.txt"), listed: (await files.list()).map((f) => f.path) };
    }`;
    const c = await runCode(
      {
        code,
        input: {
          rows: [
            ["a", 1],
            ["b", 2],
          ],
        },
      },
      { files: { "seed.txt": "planted" } },
    );
    expectRunWentOn(c);
    expect(c.ok).toBe(true);
    expect(c.answer).toEqual({
      result: { saved: { path: "report.csv", size: 19 }, seed: "planted", listed: ["report.csv", "seed.txt"] },
      logs: ["wrote 19 bytes", "warn: careful"],
    });
    const file = await api.call(`/v1/runs/${c.run.id}/files/report.csv`);
    expect(file.status).toBe(200);
    expect(file.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(await file.text()).toBe("name,total\na,1\nb,2\n");
    expect(c.run.workspace).toEqual({ files: 2, bytes: 26 });
  });

  it("has no network: fetch throws", async () => {
    const c = await runCode({ code: `export default async () => (await fetch("http://127.0.0.1:1/")).status` });
    expectToolError(c, "Error", /not permitted to access the internet/);
  });

  it("has no network: connect from cloudflare:sockets throws", async () => {
    const code = `import { connect } from "cloudflare:sockets";
      export default async () => { const s = connect("127.0.0.1:5432"); await s.opened; return "connected"; }`;
    const c = await runCode({ code });
    expectToolError(c, "Error", /not permitted to access the internet/);
  });

  it("cannot generate code from strings (eval, new Function), which would slip past the loop guard", async () => {
    const c = await runCode({ code: `export default () => new Function("for(;;){}")()` });
    expectToolError(c, "EvalError");
  });

  it("cannot reach another run's files through its binding, whatever it tries, and cannot change the binding's run", async () => {
    const other = await api.createRun({ agent: "general", input: "hold a secret", files: { "secret.txt": "the other run's secret" } });
    await api.waitForRun(other.id);
    const code = `import { env } from "cloudflare:workers";
      export default async (otherRun, { files }) => {
        const attempt = async (label, f) => { try { return [label, "read: " + JSON.stringify(await f())]; } catch (e) { return [label, e.name + " " + (e.code ?? "") ]; } };
        return {
          bindings: Object.keys(env),
          attempts: Object.fromEntries(await Promise.all([
            attempt("relative", () => files.read("../" + otherRun + "/secret.txt")),
            attempt("absolute", () => files.read("/runs/dev/" + otherRun + "/secret.txt")),
            attempt("same name", () => files.read("secret.txt")),
            attempt("raw binding", () => env.FILES.read("../" + otherRun + "/secret.txt")),
            attempt("forged this", () => env.FILES.read.call({ ctx: { props: { tenantId: "dev", runId: otherRun } } }, "secret.txt")),
            attempt("forged argument", () => env.FILES.read("secret.txt", { props: { tenantId: "dev", runId: otherRun } })),
            attempt("list", async () => (await env.FILES.list("")).value.files.length),
          ])),
        };
      }`;
    const c = await runCode({ code, input: other.id });
    expectRunWentOn(c);
    expect(c.answer.result.bindings).toEqual(["FILES"]);
    expect(c.answer.result.attempts).toEqual({
      relative: "FileError invalid_path",
      absolute: "FileError invalid_path",
      "same name": "FileError not_found",
      "raw binding":
        'read: {"ok":false,"error":{"code":"invalid_path","message":"path \\"../' +
        other.id +
        "/secret.txt\\\" must not contain a '..' segment\"}}",
      // An RPC method called on anything but its stub is refused by the runtime.
      "forged this": "TypeError ",
      "forged argument": 'read: {"ok":false,"error":{"code":"not_found","message":"no file secret.txt in this run\'s workspace"}}',
      list: "read: 0",
    });
    expect(JSON.stringify(c.answer)).not.toContain("the other run's secret");
  });

  it("an uncaught file error (a '..' path) is a tool error", async () => {
    const c = await runCode({ code: `export default async (i, { files }) => files.write("../escape.txt", "x")` });
    expectToolError(c, "FileError", /'\.\.' segment/);
  });

  it("ends while (true) {} at its time limit, and the server answers other requests meanwhile", async () => {
    const created = await api.createRun({
      agent: "general",
      input: `- spin !tool run_code ${JSON.stringify({ code: "export default () => { while (true) {} }", timeout_ms: 3000 })}`,
    });
    await api.waitForRun(created.id, (r) => r.status === "running" || r.status === "succeeded");
    const health = await fetch(`${worker.origin}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ ok: true });
    const run = await api.waitForRun(created.id);
    expect(run.status).toBe("succeeded");
    expect(run.output.output.result.error).toEqual({ name: "TimeoutError", message: "the code ran past its time limit of 3000 ms" });
  });

  it("ends for(;;){} even when the code catches the timeout and tries to go on", async () => {
    const code = `export default () => { let caught = 0; for (;;) { try { for (;;) {} } catch (e) { caught++; } } }`;
    const c = await runCode({ code, timeout_ms: 1000 });
    expectToolError(c, "TimeoutError", "the code ran past its time limit of 1000 ms");
  });

  it("a timeout cannot be hidden by catching it and returning, nor by replacing Date.now", async () => {
    const code = `export default () => { Date.now = () => 0; try { while (true) {} } catch { return "escaped"; } }`;
    const c = await runCode({ code, timeout_ms: 1000 });
    expectToolError(c, "TimeoutError");
  });

  it("ends a runaway loop in the module's top-level code", async () => {
    const c = await runCode({ code: `while (true) {}\nexport default () => 1;` });
    expectToolError(c, "TimeoutError", /top-level code ran too long/);
  });

  it("ends code that never settles at its time limit", async () => {
    const c = await runCode({ code: `export default () => new Promise(() => {})`, timeout_ms: 500 });
    expectToolError(c, "TimeoutError", "the code ran past its time limit of 500 ms");
  });

  it("deep recursion ends in a RangeError", async () => {
    const c = await runCode({ code: `export default () => { const down = (n) => down(n + 1) + 1; return down(0); }` });
    expectToolError(c, "RangeError", /call stack/);
  });

  it("a 200 KB result is refused with its size", async () => {
    const c = await runCode({ code: `export default () => "x".repeat(200 * 1024)` });
    expectToolError(c, "ResultTooLargeError", /204802 bytes as JSON; at most 65536/);
  });

  it("10,000 console lines end as a tool error that keeps the first 200", async () => {
    const c = await runCode({ code: `export default () => { for (let i = 0; i < 10000; i++) console.log("line", i); return "done"; }` });
    expectToolError(c, "LogLimitError", /wrote 10000 console lines; at most 200/);
    expect(c.answer.logs).toHaveLength(200);
    expect(c.answer.logs[0]).toBe("line 0");
    expect(c.answer.logs[199]).toBe("line 199");
  });

  it("200 console lines are within the limit", async () => {
    const c = await runCode({ code: `export default () => { for (let i = 0; i < 200; i++) console.log(i); return "done"; }` });
    expectRunWentOn(c);
    expect(c.answer.result).toBe("done");
    expect(c.answer.logs).toHaveLength(200);
  });

  it("a syntax error names its line and column", async () => {
    const c = await runCode({ code: "export default () => {\n  return 1 +;\n}" });
    expectToolError(c, "SyntaxError", "Unexpected token (2:12)");
  });

  it("a module without a default export says what to write", async () => {
    const c = await runCode({ code: "export const run = () => 1;" });
    expectToolError(c, "SyntaxError", /no default export/);
  });

  it("a thrown error keeps its name and message", async () => {
    const c = await runCode({ code: `export default () => { console.log("before"); throw new TypeError("bad input"); }` });
    expectToolError(c, "TypeError", "bad input");
    expect(c.answer.logs).toEqual(["before"]);
  });
});

describe("the CSV example of docs/agents.md", () => {
  it("defines the agent, runs it with the documented body and serves the CSV it wrote", async () => {
    const docs = readFileSync("docs/agents.md", "utf8");
    const agent = /curl -X PUT http:\/\/localhost:8787\/v1\/agents\/csv-report[\s\S]*?-d '([\s\S]*?)'\n/.exec(docs)?.[1];
    const run = /-d @- <<'EOF'\n([\s\S]*?)\nEOF/.exec(docs)?.[1];
    expect(agent && run, "both example bodies are in the docs").toBeTruthy();
    const saved = await api.call("/v1/agents/csv-report", { method: "PUT", body: agent, headers: { "content-type": "application/json" } });
    expect([200, 201]).toContain(saved.status);
    const created = await api.call("/v1/runs", { method: "POST", body: run, headers: { "content-type": "application/json" } });
    expect(created.status).toBe(202);
    const done = await api.waitForRun(((await created.json()) as { id: string }).id);
    expect(done.status).toBe("succeeded");
    expect(done.output.output.result).toEqual({ result: { path: "totals.csv", size: 23 }, logs: [] });
    expect(done.workspace).toEqual({ files: 2, bytes: 72 });
    const csv = await api.call(`/v1/runs/${done.id}/files/totals.csv`);
    expect(csv.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(await csv.text()).toBe("id,total\nA1,12.5\nB2,30\n");
  });
});
