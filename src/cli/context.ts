// What every command shares: the exit codes, the usage error, and the configuration (flags first,
// then EDGECREW_URL / EDGECREW_API_KEY / EDGECREW_ADMIN_TOKEN) turned into a client.

import type { Command } from "commander";
import { createEdgecrew, DEFAULT_URL, type Edgecrew } from "../client/index";

/** Exit codes: 0 success; 1 the run ended other than succeeded; 2 usage; 3 the API refused; 4 unreachable. */
export const EXIT = { ok: 0, runNotSucceeded: 1, usage: 2, api: 3, unreachable: 4 } as const;

/** A mistake in the command line or its input, found before anything is sent: exit 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

export interface Context {
  client: Edgecrew;
  url: string;
  json: boolean;
}

interface GlobalOptions {
  url?: string;
  key?: string;
  adminToken?: string;
  json?: boolean;
}

/**
 * The client for a command, with the tenant credential (`need: "key"`, the default) or the admin
 * token (`need: "admin"`); a missing one is a usage error, so nothing is sent without it.
 */
export function context(command: Command, need: "key" | "admin" | "none" = "key"): Context {
  const opts = command.optsWithGlobals<GlobalOptions>();
  const url = opts.url ?? process.env.EDGECREW_URL ?? DEFAULT_URL;
  const key = opts.key ?? process.env.EDGECREW_API_KEY;
  const adminToken = opts.adminToken ?? process.env.EDGECREW_ADMIN_TOKEN;
  if (!/^https?:\/\//.test(url)) throw new UsageError(`--url must be an http(s) URL, got "${url}"`);
  if (need === "key" && !key) throw new UsageError("no API key: set EDGECREW_API_KEY or pass --key");
  if (need === "admin" && !adminToken) throw new UsageError("no admin token: set EDGECREW_ADMIN_TOKEN or pass --admin-token");
  // The CLI follows over SSE: it needs only fetch, which every supported Node has.
  const client = createEdgecrew({ url, key, adminToken, WebSocket: null });
  return { client, url: client.url, json: opts.json === true };
}

/** Appends an example section to a command's --help. */
export function example<T extends Command>(command: T, ...lines: string[]): T {
  return command.addHelpText("after", `\nExample${lines.length > 1 ? "s" : ""}:\n${lines.map((l) => `  $ ${l}`).join("\n")}\n`);
}

/** A positive integer option, or a usage error naming the flag. */
export function positiveInt(flag: string, value: string | undefined, min = 1): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`${flag} must be an integer of at least ${min}, got "${value}"`);
  return n;
}
