// Schemas of the runs API: creating a run, the run as shown, lists, logs, files and stream tickets.

import { z } from "@hono/zod-openapi";
import { ApiError } from "../../domain/errors";
import { PRIORITIES, RUN_STATUSES } from "../../domain/types";
import type { WorkspaceLimits } from "../../workspace/limits";
import { pathProblem } from "../../workspace/paths";
import { jsonBytes } from "../http";
import { DateTime, NullableDateTime } from "./common";

/** `input` may be at most 64 KB (serialised). */
export const MAX_INPUT_BYTES = 64 * 1024;
/** `metadata` may be at most 4 KB (serialised). */
export const MAX_METADATA_BYTES = 4 * 1024;

const AGENT_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const agentMsg = "must be an agent name (lowercase letters, digits, - and _)";
const creditsMsg = "must be an integer from 1 to 1000000";
const YEAR_MS = 365 * 86_400_000;

export const Priority = z.enum(PRIORITIES as ["high", "normal", "low"], { error: "must be high, normal or low" }).openapi("Priority");
export const RunStatus = z.enum(RUN_STATUSES).openapi("RunStatus");
const JsonObject = z.record(z.string(), z.unknown());

/** A run input: a non-blank string or an object, at most 64 KB as JSON (else 413). */
const RunInput = z.union([z.string(), JsonObject], { error: "is required and must be a string or an object" }).superRefine((v, ctx) => {
  if (typeof v === "string" && v.trim() === "") ctx.addIssue({ code: "custom", message: "must not be empty" });
  else if (jsonBytes(v) > MAX_INPUT_BYTES)
    ctx.addIssue({ code: "custom", message: `input is over ${MAX_INPUT_BYTES} bytes`, params: { code: "payload_too_large", raw: true } });
});

/** A JSON value of at most 64 KB, named `field` in the 413 when larger. */
export const boundedJson = (field: string) =>
  z.unknown().superRefine((v, ctx) => {
    if (v !== undefined && jsonBytes(v) > MAX_INPUT_BYTES)
      ctx.addIssue({
        code: "custom",
        message: `${field} is over ${MAX_INPUT_BYTES} bytes`,
        params: { code: "payload_too_large", raw: true },
      });
  });

export const CreateRunBody = z
  .strictObject({
    agent: z.string({ error: agentMsg }).regex(AGENT_NAME, { error: agentMsg }).openapi({ example: "general" }),
    input: RunInput.openapi({
      description: `The task: text, or an object (at most ${MAX_INPUT_BYTES} bytes as JSON)`,
      example: "- look up\n- summarise",
    }),
    priority: Priority.optional().openapi({ description: "Queue lane; default: the agent's `default_priority`" }),
    max_credits: z
      .number({ error: creditsMsg })
      .int({ error: creditsMsg })
      .min(1, { error: creditsMsg })
      .max(1_000_000, { error: creditsMsg })
      .optional()
      .openapi({ description: "Credits reserved for the run; default: the agent's `max_credits`" }),
    metadata: JsonObject.refine((m) => jsonBytes(m) <= MAX_METADATA_BYTES, { error: `must be at most ${MAX_METADATA_BYTES} bytes` })
      .optional()
      .openapi({ description: `Your own key/values, returned with the run (at most ${MAX_METADATA_BYTES} bytes as JSON)` }),
    run_at: z
      .string({ error: "must be an ISO 8601 date-time" })
      .refine((s) => Number.isFinite(Date.parse(s)), { error: "must be an ISO 8601 date-time" })
      .refine((s) => Math.abs(Date.parse(s) - Date.now()) <= YEAR_MS, { error: "must be within a year of now" })
      .nullable()
      .optional()
      .openapi({ format: "date-time", description: "Start no earlier than this time (the run is `scheduled` until then)" }),
    webhook_url: z
      .string({ error: "must be an absolute URL" })
      .refine((s) => URL.canParse(s), { error: "must be an absolute URL" })
      .nullable()
      .optional()
      .openapi({ format: "uri", description: "Also deliver this run's domain events to this URL" }),
    files: z
      .unknown()
      .superRefine((files, ctx) => {
        if (files === undefined || files === null) return;
        if (typeof files !== "object" || Array.isArray(files)) {
          ctx.addIssue({ code: "custom", message: "must be an object of path to text" });
          return;
        }
        for (const [path, content] of Object.entries(files)) {
          const bad = pathProblem(path);
          const message = bad
            ? `path ${JSON.stringify(path)} ${bad}`
            : typeof content !== "string"
              ? `${path} must be text (a string)`
              : null;
          if (message) {
            ctx.addIssue({ code: "custom", message, params: { details: { field: "files", path } } });
            return;
          }
        }
      })
      .optional()
      .openapi({
        type: ["object", "null"],
        additionalProperties: { type: "string" },
        description: "Text files the run's workspace holds before its first step, by path (`[A-Za-z0-9._/-]`, 1-200 characters)",
      }),
  })
  .openapi("CreateRunRequest");

export type CreateRunBody = z.infer<typeof CreateRunBody>;

/**
 * Checks `files` of a validated create body against the deployment's workspace limits (number of
 * files, bytes a file and in all): 400 or 413 naming the field and, for one file, its path.
 */
export function checkFileLimits(files: Record<string, string>, limits: WorkspaceLimits): void {
  const entries = Object.entries(files);
  if (entries.length > limits.maxFiles)
    throw new ApiError("invalid_request", `files: at most ${limits.maxFiles} files`, { field: "files" });
  let total = 0;
  for (const [path, content] of entries) {
    const size = new TextEncoder().encode(content).byteLength;
    if (size > limits.maxFileBytes)
      throw new ApiError("payload_too_large", `files: ${path} is over ${limits.maxFileBytes} bytes`, { field: "files", path });
    total += size;
  }
  if (total > limits.maxRunBytes)
    throw new ApiError("payload_too_large", `files: over ${limits.maxRunBytes} bytes in all`, { field: "files" });
}

const stepMsg = "must be a step number (1 or more)";

export const RetryBody = z
  .strictObject({
    input: RunInput.optional().openapi({
      description: "Replaces the run's input (the old one is journaled); the steps from `from_step` on are planned again from it",
    }),
    from_step: z
      .number({ error: stepMsg })
      .int({ error: stepMsg })
      .min(1, { error: stepMsg })
      .optional()
      .openapi({ description: "Run again from this step (1-based), keeping the steps before it; default: after the last completed step" }),
  })
  .openapi("RetryRequest");

export const IdempotencyHeaders = z.object({
  "Idempotency-Key": z
    .string()
    .min(1, { error: "must be 1 to 255 characters" })
    .max(255, { error: "must be 1 to 255 characters" })
    .optional()
    .openapi({ description: "Same key and same body: the same run (200); same key, another body: 409" }),
});

export const CreatedRun = z
  .object({
    id: z.string(),
    status: RunStatus,
    agent: z.string(),
    priority: Priority,
    created_at: DateTime,
    links: z.object({ self: z.string(), logs: z.string(), stream: z.string() }),
  })
  .openapi("CreatedRun");

export const Usage = z
  .object({
    input_tokens: z.number().int(),
    output_tokens: z.number().int(),
    cache_creation_input_tokens: z.number().int(),
    cache_read_input_tokens: z.number().int(),
  })
  .openapi("Usage");

export const RunError = z
  .object({ code: z.string(), message: z.string(), retryable: z.boolean() })
  .openapi("RunError", { description: "Why the run failed or died" });

export const Approval = z
  .object({
    id: z.string(),
    run_id: z.string(),
    step: z.number().int(),
    tool: z.string(),
    input: z.unknown(),
    reason: z.string(),
    status: z.enum(["pending", "approved", "rejected", "expired"]),
    expires_at: DateTime,
    decided_at: NullableDateTime,
    decision: z.enum(["approve", "reject"]).nullable(),
    comment: z.string().nullable(),
  })
  .openapi("Approval");

export const Step = z
  .object({
    index: z.number().int(),
    title: z.string(),
    status: z.enum(["pending", "running", "completed", "failed"]),
    attempts: z.number().int(),
    run_attempt: z.number().int().nullable(),
    summary: z.string().nullable(),
    usage: Usage,
    started_at: NullableDateTime,
    finished_at: NullableDateTime,
  })
  .openapi("Step");

export const Actor = z
  .object({ type: z.enum(["api_key", "jwt", "admin"]), id: z.string() })
  .openapi("Actor", { description: "Who made a change: an API key (its id), a Supabase JWT (its subject) or the admin token" });

export const Resolution = z
  .object({ action: z.enum(["resolved", "dismissed"]), output: z.unknown(), comment: z.string().nullable(), actor: Actor, at: DateTime })
  .openapi("Resolution", { description: "How a person closed a failed or dead run" });

export const RunCost = z
  .object({
    durable_object_requests: z.number().int(),
    rows_written: z.number().int(),
    queue_messages: z.number().int(),
    input_tokens: z.number().int(),
    output_tokens: z.number().int(),
    usd: z.object({ platform: z.number(), model: z.number(), total: z.number() }),
  })
  .openapi("RunCost", { description: "What the run has cost so far, counted in every object it touched and priced at PRICE_*" });

export const Run = z
  .object({
    id: z.string(),
    agent: z.string(),
    status: RunStatus,
    priority: Priority,
    input: z.union([z.string(), JsonObject]),
    output: z.unknown().openapi({ description: "`{ summary, output }` of the last step once succeeded, else null" }),
    error: RunError.nullable(),
    plan: z.array(z.object({ title: z.string(), instructions: z.string() })).nullable(),
    steps: z.array(Step),
    usage: Usage,
    cost: RunCost,
    credits: z.object({ reserved: z.number().int(), spent: z.number().int() }),
    attempts: z.number().int(),
    approvals: z.array(Approval),
    metadata: JsonObject,
    run_at: NullableDateTime,
    created_at: DateTime,
    started_at: NullableDateTime,
    finished_at: NullableDateTime,
    resolution: Resolution.nullable().optional().openapi({ description: "Set when a person resolved or dismissed the failed or dead run" }),
    workspace: z.object({ files: z.number().int(), bytes: z.number().int() }).optional(),
  })
  .openapi("Run");

export const RunSummary = z
  .object({
    id: z.string(),
    agent: z.string(),
    status: RunStatus,
    priority: Priority,
    created_at: DateTime,
    updated_at: DateTime,
    finished_at: NullableDateTime,
    credits: z.object({ reserved: z.number().int(), spent: z.number().int() }),
    metadata: JsonObject,
  })
  .openapi("RunSummary");

export const RunList = z.object({ runs: z.array(RunSummary), next_cursor: z.string().nullable() }).openapi("RunList");

export const LogEvent = z
  .object({
    seq: z.number().int().min(1),
    ts: DateTime,
    type: z.string().openapi({ example: "step.completed" }),
    level: z.enum(["debug", "info", "warn", "error"]),
    message: z.string(),
    data: z.unknown().optional(),
  })
  .openapi("LogEvent");

export const LogPage = z
  .object({ events: z.array(LogEvent), next_after: z.number().int(), done: z.boolean() })
  .openapi("LogPage", { description: "`done` is true once the run is final and every event was returned" });

export const StreamTicket = z.object({ ticket: z.string(), expires_at: DateTime }).openapi("StreamTicket");

export const FileList = z
  .object({ files: z.array(z.object({ path: z.string(), size: z.number().int(), updated_at: DateTime })) })
  .openapi("FileList");
