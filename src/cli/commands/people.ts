// People in the loop and a run's files: `files`, `exceptions`, `resolve`, `feedback`, `audit`.

import { writeFile } from "node:fs/promises";
import type { Command } from "commander";
import { context, example, positiveInt, UsageError } from "../context";
import { readJsonArg } from "../input";
import { jsonLine, line, table } from "../output";

type Row = Record<string, unknown>;

export function registerPeople(program: Command): void {
  example(
    program
      .command("files")
      .description("list a run's workspace files, or print (or save with -o) one of them")
      .argument("<run-id>", "the run's id (run_…)")
      .argument("[path]", "a file's path in the run's workspace")
      .option("-o, --output <file>", "with a path: save the file here instead of printing it")
      .action(async (runId: string, path: string | undefined, opts, cmd: Command) => {
        const ctx = context(cmd);
        if (path === undefined) {
          if (opts.output !== undefined) throw new UsageError("-o needs the path of the file to save");
          const res = (await ctx.client.files.list(runId)) as { files: Row[] };
          if (ctx.json) return jsonLine(res);
          return table(res.files, ["path", "size", "updated_at"], "the run has no files");
        }
        const res = await ctx.client.files.download(runId, path);
        const bytes = new Uint8Array(await res.arrayBuffer());
        if (opts.output !== undefined) {
          await writeFile(opts.output, bytes);
          return line(`${path} (${bytes.byteLength} bytes, ${res.headers.get("content-type") ?? "unknown type"}) saved to ${opts.output}`);
        }
        process.stdout.write(bytes);
      }),
    "edgecrew files run_01J…",
    "edgecrew files run_01J… report.csv -o report.csv",
  );

  const exceptions = example(
    program.command("exceptions").description("failed and dead runs waiting for a person"),
    "edgecrew exceptions list",
  );
  example(
    exceptions
      .command("list")
      .description("list exceptions with their last error (default: open ones)")
      .option("--status <status>", "open or resolved", "open")
      .option("--limit <n>", "at most n runs")
      .action(async (opts, cmd: Command) => {
        const ctx = context(cmd);
        if (opts.status !== "open" && opts.status !== "resolved")
          throw new UsageError(`--status must be open or resolved, got "${opts.status}"`);
        const limit = positiveInt("--limit", opts.limit);
        const res = (await ctx.client.exceptions.list({ status: opts.status, ...(limit ? { limit } : {}) })) as { exceptions: Row[] };
        if (ctx.json) return jsonLine(res);
        const rows = res.exceptions;
        table(
          rows,
          ["run_id", "agent", "status", ["error", (r) => (r.error as { message?: string } | null)?.message]],
          `no ${opts.status} exceptions`,
        );
        if (opts.status === "open" && rows.length > 0)
          line("handle: edgecrew resolve <run-id> --output @out.json | edgecrew resolve <run-id> --dismiss");
      }),
    "edgecrew exceptions list --status resolved --json",
  );

  example(
    program
      .command("resolve")
      .description("record how a failed or dead run was handled: resolved with an output, or dismissed")
      .argument("<run-id>", "the failed or dead run's id")
      .option("--output <json>", "the output a person supplied: JSON, @file, or - for standard input")
      .option("--dismiss", "dismiss it instead (nothing to deliver)")
      .option("--comment <comment>", "a note kept with the resolution")
      .action(async (runId: string, opts, cmd: Command) => {
        const ctx = context(cmd);
        if (opts.dismiss && opts.output !== undefined) throw new UsageError("give --output or --dismiss, not both");
        const output = opts.output === undefined ? undefined : await readJsonArg(opts.output, "--output");
        const run = (await ctx.client.runs.resolve(runId, {
          action: opts.dismiss ? "dismissed" : "resolved",
          ...(output !== undefined ? { output } : {}),
          ...(opts.comment !== undefined ? { comment: opts.comment } : {}),
        })) as Row & { resolution?: Row };
        if (ctx.json) return jsonLine(run);
        line(`${run.id} ${run.resolution?.action ?? "resolved"} (status stays ${run.status})`);
      }),
    `edgecrew resolve run_01J… --output '{"refund": "sent by hand"}' --comment 'done by support'`,
    "edgecrew resolve run_01J… --dismiss --comment duplicate",
  );

  const feedback = example(
    program
      .command("feedback")
      .description("rate a final run (up or down), or list the feedback given")
      .argument("[run-id]", "the final run to rate")
      .option("--rating <rating>", "up or down")
      .option("--comment <comment>", "what was good or wrong")
      .option("--correction <json>", "what the output should have been: JSON, @file, or -")
      .option("--step <n>", "the step the feedback is about")
      .action(async (runId: string | undefined, opts, cmd: Command) => {
        if (runId === undefined) throw new UsageError("give the run to rate, or use `feedback list`");
        if (opts.rating !== "up" && opts.rating !== "down") throw new UsageError(`--rating must be up or down, got "${opts.rating ?? ""}"`);
        const ctx = context(cmd);
        const step = positiveInt("--step", opts.step);
        const correction = opts.correction === undefined ? undefined : await readJsonArg(opts.correction, "--correction");
        const res = (await ctx.client.runs.feedback(runId, {
          rating: opts.rating,
          ...(opts.comment !== undefined ? { comment: opts.comment } : {}),
          ...(correction !== undefined ? { correction } : {}),
          ...(step !== undefined ? { step } : {}),
        })) as Row;
        if (ctx.json) return jsonLine(res);
        line(`${res.id}: ${res.rating} on ${res.run_id}`);
      }),
    "edgecrew feedback run_01J… --rating down --comment 'wrong total' --correction '{\"total\": 42}'",
  );
  example(
    feedback
      .command("list")
      .description("list feedback, newest first; --export prints the training examples (NDJSON)")
      .option("--agent <agent>", "only this agent's runs")
      .option("--rating <rating>", "up or down")
      .option("--limit <n>", "at most n entries")
      .option("--export", "one training example a line: input, plan, output, rating, correction")
      .action(async (opts, cmd: Command) => {
        const ctx = context(cmd);
        const limit = positiveInt("--limit", opts.limit);
        const query = {
          ...(opts.agent ? { agent: opts.agent } : {}),
          ...(opts.rating ? { rating: opts.rating } : {}),
          ...(limit ? { limit } : {}),
        };
        if (opts.export) {
          const filters = Object.fromEntries(Object.entries(query).map(([k, v]) => [k, String(v)]));
          process.stdout.write(await ctx.client.feedback.export(filters));
          return;
        }
        const res = (await ctx.client.feedback.list(query)) as { feedback: Row[] };
        if (ctx.json) return jsonLine(res);
        table(res.feedback, ["id", "run_id", "agent", "rating", "comment", "created_at"], "no feedback yet");
      }),
    "edgecrew feedback list --agent support --export > examples.ndjson",
  );

  example(
    program
      .command("audit")
      .description("the audit trail: every change a person or key made, oldest first")
      .option("--after <n>", "entries after this id (next_after of the previous page)")
      .option("--limit <n>", "at most n entries")
      .action(async (opts, cmd: Command) => {
        const ctx = context(cmd);
        const limit = positiveInt("--limit", opts.limit);
        const after = positiveInt("--after", opts.after, 0);
        const res = (await ctx.client.audit.list({ ...(after !== undefined ? { after } : {}), ...(limit ? { limit } : {}) })) as {
          entries: Row[];
        };
        if (ctx.json) return jsonLine(res);
        table(
          res.entries,
          [
            "at",
            ["actor", (r) => `${(r.actor as Row).type}:${(r.actor as Row).id}`],
            "action",
            ["target", (r) => (r.target ? `${(r.target as Row).type}:${(r.target as Row).id}` : "")],
          ],
          "no audit entries",
        );
      }),
    "edgecrew audit --limit 20",
  );
}
