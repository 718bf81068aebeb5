// `approvals list`, `approve <id>` and `reject <id>`.

import type { Command } from "commander";
import { context, example } from "../context";
import { readJsonArg } from "../input";
import { jsonLine, line, table } from "../output";

export function registerApprovals(program: Command): void {
  const approvals = example(program.command("approvals").description("approvals waiting for a person"), "edgecrew approvals list");
  example(
    approvals
      .command("list")
      .description("list approvals (default: pending ones)")
      .option("--status <status>", "pending, approved, rejected or expired", "pending")
      .action(async (opts, cmd: Command) => {
        const ctx = context(cmd);
        const res = (await ctx.client.approvals.list({ status: opts.status })) as { approvals: Record<string, unknown>[] };
        if (ctx.json) return jsonLine(res);
        table(res.approvals, ["id", "run_id", "step", "tool", "reason", "expires_at"], `no ${opts.status} approvals`);
        if (opts.status === "pending" && res.approvals.length > 0) line("decide: edgecrew approve <id> | edgecrew reject <id> --comment c");
      }),
    "edgecrew approvals list --status approved --json",
  );

  example(
    program
      .command("approve")
      .description("approve a pending approval; the run continues")
      .argument("<approval-id>", "the approval's id (apr_…)")
      .option("--comment <comment>", "a note kept with the decision")
      .option("--input <json>", "replace the tool's input: JSON, @file, or - for standard input")
      .action(async (id: string, opts, cmd: Command) => {
        const ctx = context(cmd);
        const input = opts.input === undefined ? undefined : await readJsonArg(opts.input, "--input");
        const decided = await ctx.client.approvals.decide(id, {
          decision: "approve",
          ...(opts.comment !== undefined ? { comment: opts.comment } : {}),
          ...(input !== undefined ? { input } : {}),
        });
        printDecision(ctx.json, decided as Record<string, unknown>);
      }),
    "edgecrew approve apr_01J… --comment 'refund ok'",
    `edgecrew approve apr_01J… --input '{"amount": 40}'`,
  );

  example(
    program
      .command("reject")
      .description("reject a pending approval; the agent is told why")
      .argument("<approval-id>", "the approval's id (apr_…)")
      .option("--comment <comment>", "why, shown to the agent")
      .action(async (id: string, opts, cmd: Command) => {
        const ctx = context(cmd);
        const decided = await ctx.client.approvals.decide(id, {
          decision: "reject",
          ...(opts.comment !== undefined ? { comment: opts.comment } : {}),
        });
        printDecision(ctx.json, decided as Record<string, unknown>);
      }),
    "edgecrew reject apr_01J… --comment 'amount too high'",
  );
}

function printDecision(json: boolean, approval: Record<string, unknown>): void {
  if (json) jsonLine(approval);
  else line(`${approval.id} ${approval.status} (run ${approval.run_id}, step ${approval.step})`);
}
