// The `edgecrew` command: global options, the command groups, and one place that turns every
// outcome into an exit code (0 ok, 1 run not succeeded, 2 usage, 3 API error, 4 unreachable).

import { Command, CommanderError } from "commander";
import { EdgecrewError } from "../client/index";
import { registerAdmin } from "./commands/admin";
import { registerAgents } from "./commands/agents";
import { registerApprovals } from "./commands/approvals";
import { registerOps } from "./commands/ops";
import { registerRuns } from "./commands/runs";
import { EXIT, UsageError } from "./context";

declare const EDGECREW_VERSION: string;

function program(): Command {
  const root = new Command("edgecrew")
    .description("durable AI-agent runs on Cloudflare Workers, from the command line")
    .version(typeof EDGECREW_VERSION === "string" ? EDGECREW_VERSION : "dev")
    .option("--url <url>", "the API's origin (env EDGECREW_URL, default http://localhost:8787)")
    .option("--key <key>", "API key or JWT (env EDGECREW_API_KEY)")
    .option("--admin-token <token>", "admin token for admin commands (env EDGECREW_ADMIN_TOKEN)")
    .option("--json", "print the API's JSON, one value a line (NDJSON for streams)")
    .showHelpAfterError("(add --help for usage)")
    .exitOverride();
  registerRuns(root);
  registerApprovals(root);
  registerAgents(root);
  registerOps(root);
  registerAdmin(root);
  root.addHelpText(
    "after",
    `
Exit codes: 0 success (run --follow/--wait: the run succeeded), 1 the run ended failed, dead,
canceled or expired, 2 usage error, 3 the API answered an error, 4 the API could not be reached.

Examples:
  $ edgecrew run general $'- look up\\n- summarise' --follow
  $ edgecrew --url https://edgecrew.example.com --key "$KEY" runs list --status failed
`,
  );
  return root;
}

/** Runs the CLI with `argv` (without node and the script) and resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  const json = argv.includes("--json");
  try {
    await program().parseAsync(argv, { from: "user" });
    return typeof process.exitCode === "number" ? process.exitCode : EXIT.ok;
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version end through here too, with exit code 0.
      return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (e instanceof UsageError) {
      process.stderr.write(`edgecrew: ${e.message}\n`);
      return EXIT.usage;
    }
    if (e instanceof EdgecrewError) {
      if (json)
        process.stdout.write(
          `${JSON.stringify({ error: { code: e.code, message: e.message, ...(e.details === undefined ? {} : { details: e.details }) } })}\n`,
        );
      if (e.unreachable) {
        process.stderr.write(`edgecrew: ${e.message}\n`);
        return EXIT.unreachable;
      }
      const details = e.details === undefined ? "" : ` ${JSON.stringify(e.details)}`;
      const wait = e.retryAfter === null ? "" : ` (retry after ${e.retryAfter}s)`;
      process.stderr.write(`edgecrew: ${e.code}: ${e.message}${details}${wait}\n`);
      return EXIT.api;
    }
    throw e;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`edgecrew: unexpected error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  },
);
