// Structured logs: one JSON line per significant event ({ level, event, msg, run_id?, tenant?,
// seq?, ...context }), which Workers Logs indexes field by field. Every line is redacted first.

export type LogLevel = "debug" | "info" | "warn" | "error";

/** Context of one line: `run_id`, `tenant` and `seq` where they apply, anything else as it helps. */
export type LogFields = { run_id?: string; tenant?: string; seq?: number } & Record<string, unknown>;

const REDACTED = "[redacted]";

/** Field names whose values are never written, at any depth. */
const SECRET_FIELD = /key|token|secret|password|passwd|authorization|cookie|credential|signature/i;

/** Secret shapes found inside any string: API keys, webhook secrets, bearer credentials, JWTs, vendor keys. */
const SECRET_PATTERNS: RegExp[] = [
  /\bec_[A-Za-z0-9_-]+/g,
  /\bwhsec_[A-Za-z0-9+/=_-]+/g,
  /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi,
  /\bsk-ant-[A-Za-z0-9_-]+/g,
  /\bsig_[A-Za-z0-9]+/g,
  /\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*/g,
];

/** Environment variables holding credentials: their values are masked wherever they appear. */
const SECRET_VAR = /TOKEN|KEY|SECRET|PASSWORD/;
/** Shorter values would mask ordinary words; credentials are longer. */
const MIN_SECRET_LENGTH = 8;

/** The values of the environment's credentials (admin token, vendor tokens and keys). */
export function secretValues(vars: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const [name, value] of Object.entries(vars)) {
    if (SECRET_VAR.test(name) && typeof value === "string" && value.length >= MIN_SECRET_LENGTH) out.push(value);
  }
  // Longest first, so a secret that contains another is masked whole.
  return out.sort((a, b) => b.length - a.length);
}

function plain(value: unknown, depth: number): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message };
  if (value === null || typeof value !== "object") return typeof value === "bigint" ? String(value) : value;
  if (depth > 6) return "[too deep]";
  if (Array.isArray(value)) return value.map((v) => plain(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = SECRET_FIELD.test(k) ? REDACTED : plain(v, depth + 1);
  return out;
}

/** `text` with every secret shape and every value of `secrets` replaced by `[redacted]`. */
export function redactText(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) {
    // Matched as it appears inside a JSON string, where quotes and backslashes are escaped.
    const escaped = JSON.stringify(s).slice(1, -1);
    out = out.split(escaped).join(REDACTED);
  }
  for (const p of SECRET_PATTERNS) out = out.replace(p, REDACTED);
  return out;
}

/** The JSON line for one event, redacted: the fields named like secrets, then secret values anywhere. */
export function formatLine(level: LogLevel, event: string, msg: string, fields: LogFields, secrets: readonly string[]): string {
  const body: Record<string, unknown> = { level, event, msg };
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined || k === "level" || k === "event" || k === "msg") continue;
    body[k] = SECRET_FIELD.test(k) ? REDACTED : plain(v, 0);
  }
  return redactText(JSON.stringify(body), secrets);
}

/**
 * The Worker's variables and secrets, read where every module can reach them: with `nodejs_compat`
 * (compatibility date after 2025-04-01) workerd fills `process.env` with the text bindings.
 */
function currentSecrets(): string[] {
  const vars = (globalThis as { process?: { env?: Record<string, unknown> } }).process?.env;
  return vars ? secretValues(vars) : [];
}

function write(level: LogLevel, event: string, msg: string, fields: LogFields = {}): void {
  const line = formatLine(level, event, msg, fields, currentSecrets());
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else if (level === "debug") console.debug(line);
  else console.log(line);
}

/** The one logger: `log.warn("heartbeat.failed", "heartbeat failed", { error })`. */
export const log = {
  debug: (event: string, msg: string, fields?: LogFields) => write("debug", event, msg, fields),
  info: (event: string, msg: string, fields?: LogFields) => write("info", event, msg, fields),
  warn: (event: string, msg: string, fields?: LogFields) => write("warn", event, msg, fields),
  error: (event: string, msg: string, fields?: LogFields) => write("error", event, msg, fields),
};

/** An error as a short string for a log field (its message, never a stack). */
export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
