// The modules loaded beside run_code's module in its Dynamic Worker: the capture module (console
// lines, and the built-ins the harness needs, saved before the code can replace them), the guard
// (the loop guard's tick and deadline) and the harness (the entrypoint our Worker calls).
// Module evaluation order is capture, guard, code, harness: the harness imports them in that order.

import { GUARD_MODULE, TICK } from "./instrument";

/** Module name of the code once instrumented. */
export const CODE_MODULE = "code.js";
/** Module name of the console capture (evaluated first). */
export const CAPTURE_MODULE = "edgecrew-capture.js";
/** Module name of the harness, the isolate's main module. */
export const HARNESS_MODULE = "edgecrew-harness.js";

/** Console lines kept by the isolate (the rest are only counted). */
export const MAX_LOG_LINES = 200;
/** Longest console line kept, characters; longer ones are cut. */
export const MAX_LOG_LINE_CHARS = 2000;

const CAPTURE = `
const stringify = JSON.stringify;
const toText = String;
const lines = [];
let dropped = 0;
function show(v) {
  if (typeof v === "string") return v;
  if (v instanceof Error) return v.name + ": " + v.message;
  try { const s = stringify(v); return s === undefined ? toText(v) : s; } catch (e) { return toText(v); }
}
function capture(prefix) {
  return (...args) => {
    if (lines.length >= ${MAX_LOG_LINES}) { dropped++; return; }
    let line = prefix + args.map(show).join(" ");
    if (line.length > ${MAX_LOG_LINE_CHARS}) line = line.slice(0, ${MAX_LOG_LINE_CHARS - 1}) + "\u2026";
    lines[lines.length] = line;
  };
}
console.log = capture("");
console.info = capture("");
console.debug = capture("");
console.warn = capture("warn: ");
console.error = capture("error: ");
export function captured() { return { lines: lines.slice(0, ${MAX_LOG_LINES}), dropped }; }
export const saved = { stringify, setTimeout, clearTimeout, Promise, TextEncoder, toText, now: Date.now };
`;

/**
 * Loop iterations and calls the module's top-level code may make before the harness starts the
 * clock. The isolate's clock does not run during startup, so until then the guard counts.
 */
export const STARTUP_TICKS = 20_000_000;

/**
 * The guard module. Until the harness arms it, every tick counts towards STARTUP_TICKS; once armed
 * (once only), every 1,024th tick compares the clock with the deadline. A tick past either limit
 * throws, and every tick after that throws too, so catching the error cannot keep a loop going.
 */
export function guardModule(timeoutMs: number): string {
  return `
const now = Date.now;
const message = "the code ran past its time limit of ${timeoutMs} ms";
const startupMessage = "the module's top-level code ran too long (over ${STARTUP_TICKS} loop iterations and calls)";
let deadline = Infinity;
let armed = false;
let ticks = 0;
let tripped = null;
class TimeoutError extends Error {
  constructor(m) { super(m); this.name = "TimeoutError"; }
}
export function ${TICK}() {
  if (tripped !== null) throw new TimeoutError(tripped);
  ticks++;
  if (!armed) {
    if (ticks > ${STARTUP_TICKS}) { tripped = startupMessage; throw new TimeoutError(tripped); }
  } else if ((ticks & 1023) === 0 && now() > deadline) {
    tripped = message;
    throw new TimeoutError(tripped);
  }
}
export function __edgecrew_arm() {
  if (armed) return;
  armed = true;
  deadline = now() + ${timeoutMs};
}
export function __edgecrew_state() { return { tripped: tripped !== null, deadline, message }; }
`;
}

const HARNESS = `
import { captured, saved } from "./${CAPTURE_MODULE}";
import { __edgecrew_arm, __edgecrew_state } from "./${GUARD_MODULE}";
import * as code from "./${CODE_MODULE}";
import { WorkerEntrypoint } from "cloudflare:workers";

function described(e) {
  if (e !== null && typeof e === "object") {
    return { name: saved.toText(e.name ?? "Error"), message: saved.toText(e.message ?? e) };
  }
  return { name: "Error", message: saved.toText(e) };
}

class FileError extends Error {
  constructor(error) { super(error.message); this.name = "FileError"; this.code = error.code; }
}

function filesOf(binding) {
  const value = (answer) => { if (!answer.ok) throw new FileError(answer.error); return answer.value; };
  // Writes go one at a time, so the file-count and size limits see each write before the next.
  let writes = saved.Promise.resolve();
  return Object.freeze({
    read: async (path) => value(await binding.read(path)).content,
    write: (path, content, contentType) => {
      const done = writes.then(async () => value(await binding.write(path, content, contentType)));
      writes = done.then(() => undefined, () => undefined);
      return done;
    },
    list: async (prefix) => value(await binding.list(prefix ?? "")).files,
  });
}

export default class extends WorkerEntrypoint {
  async run(input, maxResultBytes) {
    __edgecrew_arm();
    const guard = __edgecrew_state();
    const answer = (fields) => ({ ...fields, logs: captured() });
    if (typeof code.default !== "function") {
      return answer({ ok: false, error: { name: "TypeError", message: "the default export must be a function (input, { files }) => result" } });
    }
    let timer;
    const timedOut = new saved.Promise((resolve) => {
      timer = saved.setTimeout(() => resolve(true), Math.max(0, guard.deadline - saved.now()));
    });
    let result;
    try {
      const work = saved.Promise.resolve().then(() => code.default(input, { files: filesOf(this.env.FILES) }));
      const first = await saved.Promise.race([work.then((value) => ({ value })), timedOut]);
      if (first === true || __edgecrew_state().tripped) return answer({ ok: false, error: { name: "TimeoutError", message: guard.message } });
      result = first.value;
    } catch (e) {
      if (__edgecrew_state().tripped) return answer({ ok: false, error: { name: "TimeoutError", message: guard.message } });
      return answer({ ok: false, error: described(e) });
    } finally {
      saved.clearTimeout(timer);
    }
    let json;
    try {
      json = saved.stringify(result === undefined ? null : result);
      if (json === undefined) json = "null";
    } catch (e) {
      return answer({ ok: false, error: { name: "TypeError", message: "the result is not JSON: " + described(e).message } });
    }
    const size = new saved.TextEncoder().encode(json).byteLength;
    if (size > maxResultBytes) {
      return answer({ ok: false, error: { name: "ResultTooLargeError", message: "the result is " + size + " bytes as JSON; at most " + maxResultBytes + " bytes are returned (write large output to a file)" } });
    }
    return answer({ ok: true, json });
  }
}
`;

/** The modules of one run_code call: the instrumented code plus the three above. */
export function sandboxModules(instrumentedCode: string, timeoutMs: number): Record<string, string> {
  return {
    [HARNESS_MODULE]: HARNESS,
    [CAPTURE_MODULE]: CAPTURE,
    [GUARD_MODULE]: guardModule(timeoutMs),
    [CODE_MODULE]: instrumentedCode,
  };
}
