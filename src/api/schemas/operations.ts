// Schemas of the operations API: queues, workers, credits and ledger, the dead-letter queue, domain
// events and the webhook subscription, and approvals.

import { z } from "@hono/zod-openapi";
import { TOPICS } from "../../domain/topics";
import { DateTime, NullableDateTime } from "./common";
import { Priority } from "./runs";

const Lane = z.object({ queued: z.number().int(), running: z.number().int() });

export const QueueStats = z
  .object({
    lanes: z.object({ high: Lane, normal: Lane, low: Lane }),
    awaiting_approval: z.number().int(),
    scheduled: z.number().int(),
    retrying: z.number().int(),
    dead: z.number().int(),
  })
  .openapi("QueueStats");

export const WorkerList = z
  .object({
    workers: z.array(z.object({ id: z.string(), lane: z.string(), last_beat_at: DateTime, runs_in_flight: z.number().int() })),
  })
  .openapi("WorkerList");

export const Balance = z
  .object({ available: z.number().int(), reserved: z.number().int(), spent_total: z.number().int() })
  .openapi("Balance", { description: "`available + reserved + spent_total` changes only by top-ups" });

export const LedgerPage = z
  .object({
    entries: z.array(
      z.object({
        id: z.string(),
        run_id: z.string().nullable(),
        kind: z.enum(["reserve", "charge", "release", "topup"]),
        amount: z.number().int(),
        balance_after: z.number().int(),
        created_at: DateTime,
      }),
    ),
    next_cursor: z.string().nullable(),
  })
  .openapi("LedgerPage");

/** At most this many runs are redriven by one request; call again for more. */
export const MAX_REDRIVE = 500;
const idsMsg = `an array of 1 to ${MAX_REDRIVE} run ids, or all: true`;

export const DeadRunList = z
  .object({
    runs: z.array(
      z.object({
        id: z.string(),
        agent: z.string(),
        priority: Priority,
        error: z.unknown().openapi({ description: "The last error `{ code, message, retryable }`, or null" }),
        finished_at: NullableDateTime,
        attempts: z.number().int(),
      }),
    ),
    next_cursor: z.string().nullable(),
  })
  .openapi("DeadRunList");

export const RedriveBody = z
  .object({
    ids: z
      .array(z.string({ error: idsMsg }), { error: idsMsg })
      .min(1, { error: idsMsg })
      .max(MAX_REDRIVE, { error: idsMsg })
      .optional()
      .openapi({ description: "Dead runs to queue again" }),
    all: z
      .boolean()
      .optional()
      .openapi({ description: `true: every dead run (up to ${MAX_REDRIVE} a request)` }),
  })
  .superRefine((b, ctx) => {
    if (b.all === true && b.ids !== undefined) ctx.addIssue({ code: "custom", path: ["ids"], message: "send either ids or all, not both" });
    else if (b.all !== true && b.ids === undefined) ctx.addIssue({ code: "custom", path: ["ids"], message: idsMsg });
  })
  .openapi("RedriveRequest");

export const RedriveResult = z
  .object({
    redriven: z.number().int(),
    results: z.array(z.object({ id: z.string(), redriven: z.boolean(), error: z.string().optional() })),
  })
  .openapi("RedriveResult");

const topicsMsg = `an array of topics, each one of ${TOPICS.join(", ")}`;
const eventsMsg = "an array of event types (e.g. run.succeeded, approval.*), at most 50";

export const WebhookBody = z
  .strictObject({
    url: z
      .string({ error: "required" })
      .openapi({ format: "uri", description: "https to a public host (http and loopback in development)" }),
    events: z
      .array(z.string({ error: eventsMsg }).regex(/^[a-z0-9_.*-]{1,100}$/, { error: eventsMsg }), { error: eventsMsg })
      .max(50, { error: eventsMsg })
      .optional()
      .openapi({ description: "Event types to deliver (`*` wildcards)" }),
    topics: z
      .array(z.enum(TOPICS, { error: topicsMsg }), { error: topicsMsg })
      .optional()
      .openapi({ description: "Topics to deliver; an event matching `events` or `topics` is delivered; both empty or absent: all" }),
  })
  .openapi("WebhookRequest");

export const Webhook = z
  .object({
    url: z.string(),
    events: z.array(z.string()),
    topics: z.array(z.enum(TOPICS)),
    secret: z.string().openapi({ description: "Signing secret, shown once" }),
  })
  .openapi("Webhook");

export const DomainEvent = z
  .object({
    id: z.string().openapi({
      description:
        "Opaque. An event the runtime writes once per occurrence is named by it (e.g. `evt_<run>.<attempt>.succeeded`), so the same occurrence always has the same id and `webhook-id`",
    }),
    seq: z.number().int(),
    type: z.string(),
    topic: z.enum(TOPICS).openapi({ description: "The topic of the event's type" }),
    run_id: z.string().nullable(),
    agent: z.string().nullable(),
    data: z.unknown(),
    created_at: DateTime,
    deliveries: z.array(z.record(z.string(), z.unknown())).openapi({ description: "Webhook deliveries of the event and their state" }),
  })
  .openapi("DomainEvent");

export const EventPage = z.object({ events: z.array(DomainEvent), next_after: z.number().int() }).openapi("EventPage");

export const APPROVAL_STATUSES = ["pending", "approved", "rejected", "expired"] as const;

export const DecideBody = z
  .strictObject({
    decision: z.enum(["approve", "reject"], { error: 'must be "approve" or "reject"' }),
    comment: z
      .string({ error: "a string of at most 2000 characters" })
      .max(2000, { error: "a string of at most 2000 characters" })
      .nullable()
      .optional(),
    input: z.unknown().optional().openapi({ description: "On approve: replaces the tool input (validated against the tool's schema)" }),
  })
  .superRefine((b, ctx) => {
    if (b.input !== undefined && b.decision !== "approve")
      ctx.addIssue({ code: "custom", path: ["input"], message: "only an approval may replace the tool input" });
  })
  .openapi("DecideRequest");
