// Operations: `dlq list|redrive`, `credits`, `queues`, `workers`, `events`, `webhooks set`.

import type { Command } from "commander";
import { context, example, positiveInt, UsageError } from "../context";
import { jsonLine, line, printValue, table } from "../output";

export function registerOps(program: Command): void {
  const dlq = example(program.command("dlq").description("the dead-letter queue: runs whose retries ran out"), "edgecrew dlq list");
  example(
    dlq
      .command("list")
      .description("list dead runs with their last error")
      .option("--limit <n>", "at most n runs")
      .action(async (opts, cmd: Command) => {
        const ctx = context(cmd);
        const limit = positiveInt("--limit", opts.limit);
        const res = (await ctx.client.dlq.list(limit ? { limit } : {})) as { runs: Record<string, unknown>[] };
        if (ctx.json) return jsonLine(res);
        table(
          res.runs,
          ["id", "agent", "created_at", ["error", (r) => (r.error as { message?: string } | null)?.message]],
          "the dead-letter queue is empty",
        );
      }),
    "edgecrew dlq list --json",
  );
  example(
    dlq
      .command("redrive")
      .description("send dead runs back to their queue: the ids given, or --all")
      .argument("[ids...]", "dead runs' ids")
      .option("--all", "every dead run")
      .action(async (ids: string[], opts, cmd: Command) => {
        const ctx = context(cmd);
        if (opts.all && ids.length > 0) throw new UsageError("give run ids or --all, not both");
        if (!opts.all && ids.length === 0) throw new UsageError("give the dead runs' ids, or --all");
        const res = (await ctx.client.dlq.redrive(opts.all ? { all: true } : { ids })) as { redriven: number };
        if (ctx.json) return jsonLine(res);
        line(`${res.redriven} run${res.redriven === 1 ? "" : "s"} redriven`);
      }),
    "edgecrew dlq redrive run_01J… run_01K…",
    "edgecrew dlq redrive --all",
  );

  example(
    program
      .command("credits")
      .description("the tenant's credit balance; --ledger lists its movements")
      .option("--ledger", "list ledger entries")
      .option("--limit <n>", "with --ledger: at most n entries")
      .action(async (opts, cmd: Command) => {
        const ctx = context(cmd);
        if (opts.ledger) {
          const limit = positiveInt("--limit", opts.limit);
          const res = (await ctx.client.credits.ledger(limit ? { limit } : {})) as { entries: Record<string, unknown>[] };
          if (ctx.json) return jsonLine(res);
          return table(res.entries, ["created_at", "kind", "amount", "balance_after", "run_id"], "no ledger entries");
        }
        const c = (await ctx.client.credits.get()) as { available: number; reserved: number; spent_total: number };
        if (ctx.json) return jsonLine(c);
        line(`available ${c.available} · reserved ${c.reserved} · spent ${c.spent_total}`);
      }),
    "edgecrew credits",
    "edgecrew credits --ledger --limit 20",
  );

  example(
    program
      .command("queues")
      .description("queued and running runs per priority lane, and runs waiting, scheduled, retrying or dead")
      .action(async (_opts, cmd: Command) => {
        const ctx = context(cmd);
        const q = (await ctx.client.queues()) as Record<string, any>;
        if (ctx.json) return jsonLine(q);
        const lanes = Object.entries((q.lanes ?? {}) as Record<string, { queued: number; running: number }>);
        table(
          lanes.map(([lane, v]) => ({ lane, ...v })),
          ["lane", "queued", "running"],
          "no lanes",
        );
        line(`awaiting approval ${q.awaiting_approval} · scheduled ${q.scheduled} · retrying ${q.retrying} · dead ${q.dead}`);
      }),
    "edgecrew queues --json",
  );

  example(
    program
      .command("workers")
      .description("workers and their last heartbeat")
      .action(async (_opts, cmd: Command) => {
        const ctx = context(cmd);
        const res = (await ctx.client.workers()) as { workers: Record<string, unknown>[] };
        if (ctx.json) return jsonLine(res);
        table(res.workers, ["id", "lane", "last_beat_at", "runs_in_flight"], "no workers have reported");
      }),
    "edgecrew workers",
  );

  example(
    program
      .command("events")
      .description("the tenant's domain events; --follow streams them live (never ends by itself)")
      .option("--after <n>", "only events after this position")
      .option("--limit <n>", "at most n events")
      .option("--topic <topics>", "only these topics (comma-separated)")
      .option("--follow", "stream live events from /v1/events/stream")
      .action(async (opts, cmd: Command) => {
        const ctx = context(cmd);
        const after = positiveInt("--after", opts.after, 0);
        const limit = positiveInt("--limit", opts.limit);
        const show = (e: Record<string, unknown>) =>
          ctx.json
            ? jsonLine(e)
            : line(`${e.created_at}  ${String(e.type).padEnd(20)}  ${e.run_id ?? ""}  ${JSON.stringify(e.data ?? {})}`);
        if (opts.follow) {
          for await (const e of ctx.client.events.stream({ after, topic: opts.topic })) show(e as Record<string, unknown>);
          return;
        }
        const query = {
          ...(after !== undefined ? { after } : {}),
          ...(limit ? { limit } : {}),
          ...(opts.topic ? { topic: opts.topic } : {}),
        };
        const res = (await ctx.client.events.list(query as never)) as { events: Record<string, unknown>[]; next_after: number };
        if (ctx.json) return jsonLine(res);
        if (res.events.length === 0) line("no events");
        for (const e of res.events) show(e);
      }),
    "edgecrew events --topic hitl.requests,ai.errors",
    "edgecrew events --follow --json",
  );

  const webhooks = example(
    program.command("webhooks").description("where domain events are delivered"),
    "edgecrew webhooks set https://example.com/hook",
  );
  example(
    webhooks
      .command("set")
      .description("set the webhook URL (its signing secret is shown once)")
      .argument("<url>", "an https URL")
      .option("--events <types>", "only these event types (comma-separated, e.g. run.succeeded,approval.*)")
      .option("--topics <topics>", "only these topics (comma-separated, e.g. ai.errors,hitl.requests)")
      .action(async (url: string, opts, cmd: Command) => {
        const ctx = context(cmd);
        const [events, topics] = [commaList(opts.events), commaList(opts.topics)];
        const body = { url, ...(events ? { events } : {}), ...(topics ? { topics } : {}) };
        printValue(ctx, await ctx.client.webhooks.set(body as { url: string; events?: string[] }));
      }),
    "edgecrew webhooks set https://example.com/hook --events run.succeeded,run.failed",
  );
}

/** "a, b,c" as ["a", "b", "c"]; undefined when the flag was not given. */
function commaList(value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  return String(value)
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}
