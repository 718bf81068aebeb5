// `admin tenants create`, `admin keys create|revoke`, `admin credits add` (with the admin token).

import type { Command } from "commander";
import { context, example, positiveInt } from "../context";
import { jsonLine, line, printValue } from "../output";

export function registerAdmin(program: Command): void {
  const admin = example(
    program.command("admin").description("tenants, keys and credits (needs EDGECREW_ADMIN_TOKEN or --admin-token)"),
    "edgecrew admin tenants create acme --credits 500",
  );

  const tenants = example(admin.command("tenants").description("tenants"), "edgecrew admin tenants create acme");
  example(
    tenants
      .command("create")
      .description("create a tenant")
      .argument("<name>", "the tenant's display name")
      .option("--id <id>", "the tenant's id (default: generated)")
      .option("--credits <n>", "opening credit balance")
      .action(async (name: string, opts, cmd: Command) => {
        const ctx = context(cmd, "admin");
        const credits = positiveInt("--credits", opts.credits, 0);
        printValue(
          ctx,
          await ctx.client.admin.createTenant({ name, ...(opts.id ? { id: opts.id } : {}), ...(credits !== undefined ? { credits } : {}) }),
        );
      }),
    "edgecrew admin tenants create 'Acme Ltd' --id acme --credits 1000",
  );

  const keys = example(admin.command("keys").description("a tenant's API keys"), "edgecrew admin keys create acme");
  example(
    keys
      .command("create")
      .description("issue an API key for a tenant (shown once)")
      .argument("<tenant>", "the tenant's id")
      .action(async (tenant: string, _opts, cmd: Command) => {
        const ctx = context(cmd, "admin");
        const issued = (await ctx.client.admin.createKey(tenant)) as { id: string; key: string };
        if (ctx.json) return jsonLine(issued);
        line(`key ${issued.id}: ${issued.key}`);
        line("it is shown only once: keep it now");
      }),
    "edgecrew admin keys create acme",
  );
  example(
    keys
      .command("revoke")
      .description("revoke an API key")
      .argument("<tenant>", "the tenant's id")
      .argument("<key-id>", "the key's id (not the key)")
      .action(async (tenant: string, keyId: string, _opts, cmd: Command) => {
        const ctx = context(cmd, "admin");
        const res = await ctx.client.admin.revokeKey(tenant, keyId);
        if (ctx.json) return jsonLine(res);
        line(`key ${keyId} revoked`);
      }),
    "edgecrew admin keys revoke acme key_01J…",
  );

  const credits = example(admin.command("credits").description("a tenant's credits"), "edgecrew admin credits add acme 500");
  example(
    credits
      .command("add")
      .description("top up a tenant's credits")
      .argument("<tenant>", "the tenant's id")
      .argument("<amount>", "credits to add")
      .option("--reason <reason>", "kept in the ledger")
      .action(async (tenant: string, amount: string, opts, cmd: Command) => {
        const ctx = context(cmd, "admin");
        const n = positiveInt("<amount>", amount)!;
        printValue(ctx, await ctx.client.admin.addCredits(tenant, { amount: n, ...(opts.reason ? { reason: opts.reason } : {}) }));
      }),
    "edgecrew admin credits add acme 500 --reason 'monthly plan'",
  );
}
