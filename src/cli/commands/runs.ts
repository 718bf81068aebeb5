// `run`, `runs list|get|cancel|retry` and `logs`.

import { type Command, Option } from "commander";
import { EdgecrewError } from "../../client/index";
import { context, example, positiveInt, UsageError } from "../context";
import { followRun } from "../follow-run";
import { keyValues, readTextArg } from "../input";
import { cell, clip, jsonLine, line, table } from "../output";

const PRIORITIES = ["high", "normal", "low"];
const collect = (value: string, previous: string[]) => [...previous, value];

export function registerRuns(program: Command): void {
  example(
    program
      .command("run")
      .description("create a run of an agent; --follow streams its progress until it is final, --wait waits silently")
      .argument("<agent>", "the agent's name (see: edgecrew agents list)")
      .argument("[input]", "the task: text, @file, or - to read standard input")
      .addOption(new Option("--priority <priority>", "lane: high, normal or low (default: the agent's)").choices(PRIORITIES))
      .option("--max-credits <n>", "credits to reserve for the run (default: the agent's)")
      .option("--metadata <key=value>", "metadata entry (repeatable)", collect, [])
      .option("--idempotency-key <key>", "the same key and body return the same run")
      .option("--run-at <iso>", "start at this time (ISO 8601), not now")
      .option("--follow", "stream the run's progress until it is final")
      .option("--wait", "wait until the run is final, then print it")
      // An input may start with "- " (one step a line): commander then sees an unknown option, and
      // passes it on as the input; a real unknown flag is refused below.
      .allowUnknownOption()
      .action(async (agent: string, input: string | undefined, opts, cmd: Command) => {
        if (input !== undefined && /^--?[A-Za-z][\w-]*(=.*)?$/.test(input)) throw new UsageError(`unknown option '${input}'`);
        const ctx = context(cmd);
        if (opts.follow && opts.wait) throw new UsageError("choose one of --follow and --wait");
        if (input === undefined) throw new UsageError("input is required: text, @file, or - to read standard input");
        const text = await readTextArg(input, "input");
        if (text.trim() === "") throw new UsageError("input is empty");
        const maxCredits = positiveInt("--max-credits", opts.maxCredits);
        const metadata = keyValues("--metadata", opts.metadata);
        if (opts.runAt !== undefined && Number.isNaN(Date.parse(opts.runAt)))
          throw new UsageError(`--run-at must be an ISO 8601 time, got "${opts.runAt}"`);
        await requireAgent(ctx.client, agent);
        const created = (await ctx.client.runs.create(
          {
            agent,
            input: text,
            ...(opts.priority ? { priority: opts.priority } : {}),
            ...(maxCredits !== undefined ? { max_credits: maxCredits } : {}),
            ...(metadata ? { metadata } : {}),
            ...(opts.runAt ? { run_at: opts.runAt } : {}),
          },
          { idempotencyKey: opts.idempotencyKey },
        )) as { id: string; status: string; agent: string; priority: string };
        if (ctx.json && !opts.follow && !opts.wait) jsonLine(created);
        else if (!ctx.json) line(`run ${created.id} · ${created.agent} · ${created.priority} · ${created.status}`);
        if (opts.follow || opts.wait) process.exitCode = await followRun(ctx, created.id, opts.follow ? "follow" : "wait");
        else if (!ctx.json) line(`follow it: edgecrew logs ${created.id} --follow`);
      }),
    `edgecrew run general $'- look up\\n- summarise' --follow`,
    "edgecrew run support @ticket.txt --priority high --metadata customer=42 --wait",
    "echo '- check stock' | edgecrew run inventory - --json",
  );

  const runs = example(program.command("runs").description("list, show, cancel and retry runs"), "edgecrew runs list --status failed");
  example(
    runs
      .command("list")
      .description("list runs, newest first")
      .option("--status <status>", "only runs in this status")
      .option("--agent <agent>", "only runs of this agent")
      .option("--limit <n>", "at most n runs (1-100)")
      .option("--cursor <cursor>", "the next_cursor of a previous page")
      .action(async (opts, cmd: Command) => {
        const ctx = context(cmd);
        const limit = positiveInt("--limit", opts.limit);
        const page = (await ctx.client.runs.list({
          ...(opts.status ? { status: opts.status } : {}),
          ...(opts.agent ? { agent: opts.agent } : {}),
          ...(limit ? { limit } : {}),
          ...(opts.cursor ? { cursor: opts.cursor } : {}),
        })) as { runs: Record<string, unknown>[]; next_cursor: string | null };
        if (ctx.json) return jsonLine(page);
        table(page.runs, ["id", "status", "agent", "priority", "created_at"], "no runs");
        if (page.next_cursor) line(`more: edgecrew runs list --cursor ${page.next_cursor}`);
      }),
    "edgecrew runs list --agent orders --status awaiting_approval --limit 10",
  );
  example(
    runs
      .command("get")
      .description("show a run: status, plan and steps, output or error, usage and credits")
      .argument("<id>", "the run's id")
      .action(async (id: string, _opts, cmd: Command) => {
        const ctx = context(cmd);
        const run = (await ctx.client.runs.get(id)) as Record<string, any>;
        if (ctx.json) return jsonLine(run);
        line(`${run.id} · ${run.agent} · ${run.priority} · ${run.status}`);
        line(
          `created ${run.created_at}${run.finished_at ? ` · finished ${run.finished_at}` : ""} · ${run.credits?.spent ?? 0} credits spent`,
        );
        for (const s of (run.steps ?? []) as Record<string, unknown>[]) line(`  ${s.index}. [${s.status}] ${clip(cell(s.title), 90)}`);
        if (run.output) line(`output: ${clip(cell(run.output.summary ?? run.output), 200)}`);
        if (run.error) line(`error: ${run.error.code}: ${run.error.message}`);
      }),
    "edgecrew runs get run_01J… --json",
  );
  example(
    runs
      .command("cancel")
      .description("cancel a run that is not final")
      .argument("<id>", "the run's id")
      .action(async (id: string, _opts, cmd: Command) => {
        const ctx = context(cmd);
        const run = (await ctx.client.runs.cancel(id)) as Record<string, unknown>;
        if (ctx.json) return jsonLine(run);
        line(`${run.id} · ${run.status}`);
      }),
    "edgecrew runs cancel run_01J…",
  );
  example(
    runs
      .command("retry")
      .description("retry a failed or dead run: by default it resumes after its last completed step")
      .argument("<id>", "the run's id")
      .option("--input <input>", "a corrected input: text, @file, or - for standard input")
      .option("--from-step <n>", "re-run from this step (1-based)")
      .action(async (id: string, opts, cmd: Command) => {
        const ctx = context(cmd);
        const fromStep = positiveInt("--from-step", opts.fromStep);
        const input = opts.input === undefined ? undefined : await readTextArg(opts.input, "--input");
        const body =
          input === undefined && fromStep === undefined
            ? undefined
            : { ...(input !== undefined ? { input } : {}), ...(fromStep ? { from_step: fromStep } : {}) };
        const run = (await ctx.client.runs.retry(id, body)) as Record<string, unknown>;
        if (ctx.json) return jsonLine(run);
        line(`${run.id} · ${run.status}`);
      }),
    "edgecrew runs retry run_01J… --from-step 2 --input @fixed.txt",
  );

  example(
    program
      .command("logs")
      .description("print a run's log; --follow streams it live until the run is final, resuming after a dropped connection")
      .argument("<id>", "the run's id")
      .option("--after <n>", "only events after this seq")
      .option("--follow", "stream live events until the run is final")
      .action(async (id: string, opts, cmd: Command) => {
        const ctx = context(cmd);
        const after = positiveInt("--after", opts.after, 0) ?? 0;
        if (opts.follow) {
          process.exitCode = await followRun(ctx, id, "follow", after);
          return;
        }
        let cursor = after;
        for (;;) {
          const page = (await ctx.client.runs.logs(id, { after: cursor, limit: 1000 })) as { events: Record<string, unknown>[] };
          for (const e of page.events) {
            if (ctx.json) jsonLine(e);
            else line(`${String(e.seq).padStart(4)}  ${e.ts}  ${String(e.type).padEnd(18)}  ${e.message}`);
          }
          if (page.events.length < 1000) break;
          cursor = Number(page.events[page.events.length - 1]!.seq);
        }
      }),
    "edgecrew logs run_01J… --follow",
    "edgecrew logs run_01J… --after 10 --json | jq .type",
  );
}

/** Refuses an agent the tenant does not have, before the run is created. */
async function requireAgent(client: ReturnType<typeof context>["client"], agent: string): Promise<void> {
  try {
    await client.agents.get(agent);
  } catch (e) {
    if (!(e instanceof EdgecrewError) || e.code !== "not_found") throw e;
    const list = (await client.agents.list()) as { agents?: { name: string }[] };
    const names = (list.agents ?? []).map((a) => a.name).join(", ");
    throw new UsageError(`unknown agent "${agent}"${names ? ` (agents: ${names})` : ""}`);
  }
}
