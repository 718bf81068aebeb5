// Validation of API request bodies. Every violation names the field.

import { ApiError } from "../domain/errors";
import { PRIORITIES, type Priority } from "../domain/types";
import { DEFAULT_WORKSPACE_LIMITS, type WorkspaceLimits } from "../workspace/limits";
import { pathProblem } from "../workspace/paths";
import { jsonBytes } from "./http";

/** `input` may be at most 64 KB (serialised). */
export const MAX_INPUT_BYTES = 64 * 1024;
/** `metadata` may be at most 4 KB (serialised). */
export const MAX_METADATA_BYTES = 4 * 1024;

export interface CreateRunBody {
  agent: string;
  input: unknown;
  priority: Priority | null;
  max_credits: number | null;
  metadata: Record<string, unknown> | null;
  run_at: number | null;
  webhook_url: string | null;
  /** Text files the run's workspace holds before its first step, by path. */
  files: Record<string, string> | null;
}

const CREATE_FIELDS = new Set(["agent", "input", "priority", "max_credits", "metadata", "run_at", "webhook_url", "files"]);
const invalid = (field: string, message: string) => new ApiError("invalid_request", `${field}: ${message}`, { field });

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

/**
 * Most credits an admin grants at once: a new tenant's `credits` or a top-up's `amount` (10^12).
 * Balances are JavaScript numbers and 64-bit database integers, exact up to 2^53 (about 9 x 10^15):
 * even thousands of maximal grants add up exactly, and no real account comes near one of them.
 */
export const MAX_CREDIT_AMOUNT = 1_000_000_000_000;

/** A whole number of credits from `min` (0 or 1) to `MAX_CREDIT_AMOUNT`, else 400 naming `field`. */
export function parseCreditAmount(v: unknown, field: string, min: 0 | 1): number {
  if (!Number.isSafeInteger(v) || (v as number) < min || (v as number) > MAX_CREDIT_AMOUNT)
    throw invalid(field, `must be an integer from ${min} to ${MAX_CREDIT_AMOUNT}`);
  return v as number;
}

/**
 * Validates `files` of a `POST /v1/runs` body: an object of path → text, each path a workspace path,
 * within the workspace limits. Errors name the field and, for one file, its path.
 */
export function parseInitialFiles(files: unknown, limits: WorkspaceLimits): Record<string, string> | null {
  if (files === undefined || files === null) return null;
  if (!isObject(files)) throw invalid("files", "must be an object of path to text");
  const entries = Object.entries(files);
  if (entries.length > limits.maxFiles) throw invalid("files", `at most ${limits.maxFiles} files`);
  let total = 0;
  for (const [path, content] of entries) {
    const bad = pathProblem(path);
    if (bad) throw new ApiError("invalid_request", `files: path ${JSON.stringify(path)} ${bad}`, { field: "files", path });
    if (typeof content !== "string")
      throw new ApiError("invalid_request", `files: ${path} must be text (a string)`, { field: "files", path });
    const size = new TextEncoder().encode(content).byteLength;
    if (size > limits.maxFileBytes)
      throw new ApiError("payload_too_large", `files: ${path} is over ${limits.maxFileBytes} bytes`, { field: "files", path });
    total += size;
  }
  if (total > limits.maxRunBytes)
    throw new ApiError("payload_too_large", `files: over ${limits.maxRunBytes} bytes in all`, { field: "files" });
  return files as Record<string, string>;
}

/** Validates `input` as run creation does: a non-empty string or an object, at most 64 KB. */
function parseInput(input: unknown): unknown {
  if (input === undefined || !(typeof input === "string" || isObject(input)))
    throw invalid("input", "is required and must be a string or an object");
  if (typeof input === "string" && input.trim() === "") throw invalid("input", "must not be empty");
  if (jsonBytes(input) > MAX_INPUT_BYTES)
    throw new ApiError("payload_too_large", `input is over ${MAX_INPUT_BYTES} bytes`, { field: "input" });
  return input;
}

/** Validates a `POST /v1/runs/:id/retry` body: `input` (as at creation) and `from_step` (1 or more), both optional. */
export function parseRetryBody(body: Record<string, unknown>): { input?: unknown; fromStep?: number } {
  for (const k of Object.keys(body)) if (k !== "input" && k !== "from_step") throw invalid(k, "unknown field");
  const out: { input?: unknown; fromStep?: number } = {};
  if (body.input !== undefined) out.input = parseInput(body.input);
  if (body.from_step !== undefined) {
    if (!Number.isSafeInteger(body.from_step) || (body.from_step as number) < 1)
      throw invalid("from_step", "must be a step number (1 or more)");
    out.fromStep = body.from_step as number;
  }
  return out;
}

/** Validates a `POST /v1/runs` body (`files` against `limits`, default the standard workspace limits). */
export function parseCreateRun(
  body: Record<string, unknown>,
  now: number,
  limits: WorkspaceLimits = DEFAULT_WORKSPACE_LIMITS,
): CreateRunBody {
  for (const k of Object.keys(body)) if (!CREATE_FIELDS.has(k)) throw invalid(k, "unknown field");
  const { agent, input, priority, max_credits, metadata, run_at, webhook_url } = body;
  if (typeof agent !== "string" || !/^[a-z0-9][a-z0-9_-]{0,63}$/.test(agent))
    throw invalid("agent", "must be an agent name (lowercase letters, digits, - and _)");
  parseInput(input);
  if (priority !== undefined && !PRIORITIES.includes(priority as Priority)) throw invalid("priority", "must be high, normal or low");
  if (max_credits !== undefined && (!Number.isInteger(max_credits) || (max_credits as number) < 1 || (max_credits as number) > 1_000_000)) {
    throw invalid("max_credits", "must be an integer from 1 to 1000000");
  }
  if (metadata !== undefined && !isObject(metadata)) throw invalid("metadata", "must be an object");
  if (metadata !== undefined && jsonBytes(metadata) > MAX_METADATA_BYTES)
    throw invalid("metadata", `must be at most ${MAX_METADATA_BYTES} bytes`);
  let runAt: number | null = null;
  if (run_at !== undefined && run_at !== null) {
    const t = typeof run_at === "string" ? Date.parse(run_at) : Number.NaN;
    if (!Number.isFinite(t)) throw invalid("run_at", "must be an ISO 8601 date-time");
    if (Math.abs(t - now) > 365 * 86_400_000) throw invalid("run_at", "must be within a year of now");
    runAt = t;
  }
  if (webhook_url !== undefined && webhook_url !== null) {
    if (typeof webhook_url !== "string" || !URL.canParse(webhook_url)) throw invalid("webhook_url", "must be an absolute URL");
  }
  return {
    agent,
    input,
    priority: (priority as Priority | undefined) ?? null,
    max_credits: (max_credits as number | undefined) ?? null,
    metadata: (metadata as Record<string, unknown> | undefined) ?? null,
    run_at: runAt,
    webhook_url: (webhook_url as string | undefined) ?? null,
    files: parseInitialFiles(body.files, limits),
  };
}
