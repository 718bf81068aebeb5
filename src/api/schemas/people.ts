// Schemas of people in the loop: exceptions and their resolution, feedback and its training
// export, and the audit trail.

import { z } from "@hono/zod-openapi";
import { DateTime, NullableDateTime } from "./common";
import { Actor, boundedJson, Priority, Resolution, RunStatus } from "./runs";

const commentMsg = "a string of at most 2000 characters";
const Comment = z.string({ error: commentMsg }).max(2000, { error: commentMsg }).nullable().optional();

export const ResolveBody = z
  .strictObject({
    action: z.enum(["resolved", "dismissed"], { error: 'must be "resolved" or "dismissed"' }),
    output: boundedJson("output").optional().openapi({ description: "With `resolved`: the output the person supplies (at most 64 KB)" }),
    comment: Comment,
  })
  .superRefine((b, ctx) => {
    if (b.output !== undefined && b.action !== "resolved")
      ctx.addIssue({ code: "custom", path: ["output"], message: 'only an action "resolved" supplies an output' });
  })
  .openapi("ResolveRequest");

export const ExceptionPage = z
  .object({
    exceptions: z.array(
      z.object({
        run_id: z.string(),
        agent: z.string(),
        status: RunStatus,
        priority: Priority,
        error: z.unknown().openapi({ description: "The run's last error `{ code, message, retryable }`" }),
        attempts: z.number().int(),
        finished_at: NullableDateTime,
        resolution: Resolution.nullable(),
      }),
    ),
    next_cursor: z.string().nullable(),
  })
  .openapi("ExceptionPage");

const stepMsg = "must be a step number (1 or more)";

export const FeedbackBody = z
  .strictObject({
    rating: z.enum(["up", "down"], { error: 'must be "up" or "down"' }),
    comment: Comment,
    correction: boundedJson("correction").optional().openapi({ description: "What the output should have been (at most 64 KB)" }),
    step: z
      .number({ error: stepMsg })
      .int({ error: stepMsg })
      .min(1, { error: stepMsg })
      .nullable()
      .optional()
      .openapi({ description: "The step the feedback is about" }),
  })
  .openapi("FeedbackRequest");

export const Feedback = z
  .object({
    id: z.string(),
    run_id: z.string(),
    agent: z.string(),
    rating: z.enum(["up", "down"]),
    comment: z.string().nullable(),
    correction: z.unknown(),
    step: z.number().int().nullable(),
    actor: Actor,
    created_at: DateTime,
  })
  .openapi("Feedback");

export const FeedbackPage = z.object({ feedback: z.array(Feedback), next_after: z.number().int() }).openapi("FeedbackPage");

export const AuditPage = z
  .object({
    entries: z.array(
      z.object({
        id: z.string(),
        at: DateTime,
        actor: Actor,
        action: z.string().openapi({ example: "run.retried" }),
        target: z.object({ type: z.string(), id: z.string() }),
        details: z.record(z.string(), z.unknown()),
      }),
    ),
    next_after: z.number().int(),
  })
  .openapi("AuditPage");
