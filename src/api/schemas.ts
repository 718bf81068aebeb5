// Validation of API request bodies. Every violation names the field.

import { ApiError } from "../domain/errors";
import { PRIORITIES, type Priority } from "../domain/types";
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
}

const CREATE_FIELDS = new Set(["agent", "input", "priority", "max_credits", "metadata", "run_at", "webhook_url"]);
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

/** Validates a `POST /v1/runs` body. */
export function parseCreateRun(body: Record<string, unknown>, now: number): CreateRunBody {
  for (const k of Object.keys(body)) if (!CREATE_FIELDS.has(k)) throw invalid(k, "unknown field");
  const { agent, input, priority, max_credits, metadata, run_at, webhook_url } = body;
  if (typeof agent !== "string" || !/^[a-z0-9][a-z0-9_-]{0,63}$/.test(agent))
    throw invalid("agent", "must be an agent name (lowercase letters, digits, - and _)");
  if (input === undefined || !(typeof input === "string" || isObject(input)))
    throw invalid("input", "is required and must be a string or an object");
  if (typeof input === "string" && input.trim() === "") throw invalid("input", "must not be empty");
  if (jsonBytes(input) > MAX_INPUT_BYTES)
    throw new ApiError("payload_too_large", `input is over ${MAX_INPUT_BYTES} bytes`, { field: "input" });
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
  };
}
