// run_code's executor: loads the code into a fresh Dynamic Worker (Worker Loader) with no network
// (`globalOutbound: null`), a CPU limit, and only the run's workspace binding in its env; calls the
// harness; and turns whatever happens (a thrown error, a timeout, a result too large, a module that
// does not load) into `{result, logs, error?}`. It never throws for the code's sake.

import { instrument, type SandboxError } from "./instrument";
import { MAX_RESULT_BYTES, MAX_TIMEOUT_MS } from "./limits";
import { HARNESS_MODULE, MAX_LOG_LINE_CHARS, MAX_LOG_LINES, sandboxModules } from "./modules";

/** Compatibility date of the loaded isolates. */
export const SANDBOX_COMPATIBILITY_DATE = "2026-11-01";
/** Added to the time limit before our Worker stops waiting for an isolate that does not answer, ms. */
const GRACE_MS = 2000;
/**
 * Isolates loaded at once by this Worker isolate. Cloudflare allows four Dynamic Workers with
 * requests in flight per request context; queue batches run several runs at once.
 */
const MAX_CONCURRENT = 4;

export interface CodeRequest {
  /** An ES module whose default export is `async (input, { files }) => result`. */
  code: string;
  input: unknown;
  /** Time limit, ms (at most MAX_TIMEOUT_MS). */
  timeoutMs: number;
}

export interface CodeOutcome {
  result: unknown;
  /** Console lines, at most 200. */
  logs: string[];
  error?: SandboxError;
}

export interface SandboxDeps {
  loader: WorkerLoader;
  /** The run's workspace binding (WorkspaceFiles with the run in its props), offered as `env.FILES`. */
  files: Fetcher;
}

interface HarnessAnswer {
  ok: boolean;
  json?: string;
  error?: SandboxError;
  logs?: { lines: unknown; dropped: unknown };
}

interface Harness {
  run(input: unknown, maxResultBytes: number): Promise<HarnessAnswer>;
}

let running = 0;
const waiting: (() => void)[] = [];

async function acquire(): Promise<void> {
  if (running < MAX_CONCURRENT) {
    running++;
    return;
  }
  await new Promise<void>((resolve) => waiting.push(resolve));
}

function release(): void {
  const next = waiting.shift();
  if (next) next();
  else running--;
}

const text = (v: unknown, max: number) => String(v).slice(0, max);

/** The isolate's console lines, re-checked here: at most 200 kept, with how many were written. */
function logsOf(answer: HarnessAnswer): { lines: string[]; total: number } {
  const raw = answer.logs;
  const lines = Array.isArray(raw?.lines) ? raw.lines.slice(0, MAX_LOG_LINES).map((l) => text(l, MAX_LOG_LINE_CHARS)) : [];
  return { lines, total: lines.length + Math.max(0, Number(raw?.dropped) || 0) };
}

/** The error of a module that did not load, as workerd words it: its own name and message. */
const STARTUP_FAILURE = /^Failed to start Worker:\s*Uncaught (\w+): ([\s\S]*)$/;

function errorOf(e: unknown): SandboxError {
  if (!(e instanceof Error)) return { name: "Error", message: text(e, 2000) };
  const startup = STARTUP_FAILURE.exec(e.message);
  if (!startup) return { name: text(e.name, 100), message: text(e.message, 2000) };
  let name = startup[1] ?? "Error";
  let message = startup[2] ?? "";
  // A custom error class arrives as "Error: TimeoutError: ..."; show its own name.
  const inner = /^(\w+Error): ([\s\S]*)$/.exec(message);
  if (name === "Error" && inner) [name, message] = [inner[1] ?? name, inner[2] ?? message];
  // Frames of our own modules say nothing about the code.
  message = message
    .split("\n")
    .filter((line) => !line.includes("edgecrew-"))
    .join("\n");
  return { name: text(name, 100), message: text(message, 2000) };
}

/** Runs `req.code` in a fresh isolate; the outcome carries an `error` instead of throwing. */
export async function runSandboxed(deps: SandboxDeps, req: CodeRequest): Promise<CodeOutcome> {
  const prepared = instrument(req.code);
  if (!prepared.ok) return { result: null, logs: [], error: prepared.error };
  const timeoutMs = Math.min(Math.max(1, Math.floor(req.timeoutMs)), MAX_TIMEOUT_MS);
  await acquire();
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const worker = deps.loader.load({
      compatibilityDate: SANDBOX_COMPATIBILITY_DATE,
      mainModule: HARNESS_MODULE,
      modules: sandboxModules(prepared.code, timeoutMs),
      env: { FILES: deps.files },
      globalOutbound: null,
      limits: { cpuMs: timeoutMs },
    });
    const harness = worker.getEntrypoint() as unknown as Harness;
    const late = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), timeoutMs + GRACE_MS);
    });
    let answer: HarnessAnswer | null;
    try {
      answer = await Promise.race([harness.run(req.input ?? null, MAX_RESULT_BYTES), late]);
    } catch (e) {
      // The module did not load (a top-level throw or import error), or the isolate was stopped
      // (CPU limit, memory): the code's failure, reported to the model.
      return { result: null, logs: [], error: errorOf(e) };
    }
    if (answer === null) {
      return { result: null, logs: [], error: { name: "TimeoutError", message: `the code ran past its time limit of ${timeoutMs} ms` } };
    }
    const { lines: logs, total } = logsOf(answer);
    // Output past the limit is a tool error (the result is not returned), so code cannot bury
    // what it returns under console noise or use the log as an unmetered side channel.
    if (total > MAX_LOG_LINES) {
      return {
        result: null,
        logs,
        error: {
          name: "LogLimitError",
          message: `the code wrote ${total} console lines; at most ${MAX_LOG_LINES} are allowed (the first ${MAX_LOG_LINES} are kept)`,
        },
      };
    }
    if (!answer.ok) {
      const error = { name: text(answer.error?.name ?? "Error", 100), message: text(answer.error?.message ?? "", 2000) };
      return { result: null, logs, error };
    }
    const json = typeof answer.json === "string" ? answer.json : "null";
    const size = new TextEncoder().encode(json).byteLength;
    if (size > MAX_RESULT_BYTES) {
      return {
        result: null,
        logs,
        error: {
          name: "ResultTooLargeError",
          message: `the result is ${size} bytes as JSON; at most ${MAX_RESULT_BYTES} bytes are returned`,
        },
      };
    }
    return { result: JSON.parse(json), logs };
  } finally {
    clearTimeout(timer);
    release();
  }
}
