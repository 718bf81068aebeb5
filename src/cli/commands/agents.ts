// `agents list|get|put|delete`.

import type { Command } from "commander";
import { context, example, UsageError } from "../context";
import { readJsonFile } from "../input";
import { jsonLine, line, printValue, table } from "../output";

export function registerAgents(program: Command): void {
  const agents = example(program.command("agents").description("built-in and custom agents"), "edgecrew agents list");
  example(
    agents
      .command("list")
      .description("list the tenant's agents")
      .action(async (_opts, cmd: Command) => {
        const ctx = context(cmd);
        const res = (await ctx.client.agents.list()) as { agents: Record<string, unknown>[] };
        if (ctx.json) return jsonLine(res);
        table(
          res.agents,
          ["name", "model", "default_priority", "max_steps", "max_credits", ["tools", (a) => (a.tools as string[] | undefined)?.length]],
          "no agents",
        );
      }),
    "edgecrew agents list --json",
  );
  example(
    agents
      .command("get")
      .description("show an agent's profile")
      .argument("<name>", "the agent's name")
      .action(async (name: string, _opts, cmd: Command) => {
        const ctx = context(cmd);
        printValue(ctx, await ctx.client.agents.get(name));
      }),
    "edgecrew agents get orders",
  );
  example(
    agents
      .command("put")
      .description("create or replace a custom agent from a JSON file")
      .argument("<name>", "the agent's name")
      .requiredOption("-f, --file <path>", "the agent's JSON (or - for standard input)")
      .action(async (name: string, opts, cmd: Command) => {
        const ctx = context(cmd);
        const body = await readJsonFile(opts.file, "-f");
        if (body === null || typeof body !== "object" || Array.isArray(body)) throw new UsageError("-f: the agent must be a JSON object");
        const saved = await ctx.client.agents.put(name, body as never);
        if (ctx.json) return jsonLine(saved);
        line(`agent ${name} saved`);
      }),
    "edgecrew agents put triage -f triage.json",
  );
  example(
    agents
      .command("delete")
      .description("delete a custom agent")
      .argument("<name>", "the agent's name")
      .action(async (name: string, _opts, cmd: Command) => {
        const ctx = context(cmd);
        const res = await ctx.client.agents.delete(name);
        if (ctx.json) return jsonLine(res ?? { deleted: name });
        line(`agent ${name} deleted`);
      }),
    "edgecrew agents delete triage",
  );
}
