// Runs the real `edgecrew` binary as a child process on the PATH's Node (not the Node the test
// runner uses), after bundling it once; plus the Worker the CLI and client tests talk to.

import { execFileSync, spawn } from "node:child_process";
import { accessSync, constants, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join, resolve } from "node:path";
import { type LocalWorker, startWorker, WORKER_ADMIN, WORKER_KEY } from "./local-worker";

export const ROOT = resolve(import.meta.dirname, "../..");
const BIN = join(ROOT, "bin/edgecrew.mjs");

/** The first `node` on PATH outside any node_modules/.bin: the Node a user has (npm scripts put the pinned one first). */
export function systemNode(): string {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (dir.includes("node_modules")) continue;
    const candidate = join(dir, "node");
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT" && (e as NodeJS.ErrnoException).code !== "EACCES") throw e;
    }
  }
  throw new Error("no node on PATH outside node_modules");
}

/** The version (`v20.…`) of a node binary. */
export function nodeVersion(node: string): string {
  return execFileSync(node, ["--version"], { encoding: "utf8" }).trim();
}

/** Bundles the CLI and the client into lib/ (what `npm install` does through `prepare`). */
export function buildCli(): void {
  execFileSync(process.execPath, [join(ROOT, "scripts/build-cli.mjs")], { cwd: ROOT, stdio: "inherit" });
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** EDGECREW_* variables (anything else of the test's environment is passed on, minus EDGECREW_*). */
  env?: Record<string, string>;
  stdin?: string;
  cwd?: string;
}

function childEnv(env: Record<string, string> = {}): NodeJS.ProcessEnv {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("EDGECREW_")));
  // (The Worker's generated types declare its variables on ProcessEnv: a child has none of them.)
  return { ...base, NO_COLOR: "1", ...env } as unknown as NodeJS.ProcessEnv;
}

/** Starts `edgecrew args…`; `done` resolves when it exits. Output is collected as it arrives. */
export function startCli(args: string[], options: CliOptions = {}) {
  const child = spawn(systemNode(), [BIN, ...args], { cwd: options.cwd ?? ROOT, env: childEnv(options.env), stdio: "pipe" });
  const out = { stdout: "", stderr: "" };
  child.stdout.setEncoding("utf8").on("data", (d: string) => {
    out.stdout += d;
  });
  child.stderr.setEncoding("utf8").on("data", (d: string) => {
    out.stderr += d;
  });
  child.stdin.end(options.stdin ?? "");
  const done = new Promise<CliResult>((resolveDone, reject) => {
    child.on("error", reject);
    child.on("close", (code) => resolveDone({ code: code ?? -1, ...out }));
  });
  /** Resolves with stdout once it matches `pattern` (rejects if the process exits first). */
  const waitFor = (pattern: RegExp, timeoutMs = 30_000) =>
    new Promise<RegExpMatchArray>((resolveMatch, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${pattern} in time; stdout: ${out.stdout}; stderr: ${out.stderr}`)), timeoutMs);
      const check = () => {
        const m = out.stdout.match(pattern);
        if (!m) return;
        clearTimeout(timer);
        child.stdout.off("data", check);
        resolveMatch(m);
      };
      child.stdout.on("data", check);
      check();
      done.then(() => {
        clearTimeout(timer);
        reject(new Error(`edgecrew exited before ${pattern}; stdout: ${out.stdout}; stderr: ${out.stderr}`));
      }, reject);
    });
  return { child, done, waitFor, output: out };
}

/** Runs `edgecrew args…` to its end. */
export function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  return startCli(args, options).done;
}

/** Writes `text` to a new file `name` in a temporary directory of this test run; returns its path. */
let scratch: string | null = null;
export function tempFile(name: string, text: string): string {
  scratch ??= mkdtempSync(join(tmpdir(), "edgecrew-cli-"));
  const path = join(scratch, name);
  writeFileSync(path, text);
  return path;
}

/** The JSON values of NDJSON output, one a line. */
export function parseNdjson(stdout: string): any[] {
  return stdout
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
}

/** The variables that point the CLI at `worker` with the development key and the admin token. */
export function cliEnv(origin: string, key = WORKER_KEY): Record<string, string> {
  return { EDGECREW_URL: origin, EDGECREW_API_KEY: key, EDGECREW_ADMIN_TOKEN: WORKER_ADMIN };
}

/** edgecrew in development with the scripted model, the admin token, a signing secret (keys, stream tickets) and quick retries. */
export function startCliWorker(): Promise<LocalWorker> {
  return startWorker("wrangler.toml", {
    ENVIRONMENT: "development",
    ADMIN_TOKEN: WORKER_ADMIN,
    DEV_API_KEY: WORKER_KEY,
    MODEL_PROVIDER: "scripted",
    AUTH_SIGNING_SECRET: "cli-tests-signing-secret-0123456789abcdef",
    // Transient failures exhaust their retries in well under a second, so a run can end dead.
    RETRY_MAX_ATTEMPTS: "2",
    RETRY_BASE_MS: "50",
    RETRY_MAX_MS: "200",
  });
}
