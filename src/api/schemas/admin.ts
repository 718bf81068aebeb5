// Schemas of the admin API: tenants, API keys and credit top-ups.

import { z } from "@hono/zod-openapi";
import { TENANT_ID_PATTERN } from "../../domain/ids";
import { DateTime } from "./common";
import { Balance } from "./operations";

/**
 * Most credits an admin grants at once: a new tenant's `credits` or a top-up's `amount` (10^12).
 * Balances are JavaScript numbers and 64-bit database integers, exact up to 2^53 (about 9 x 10^15):
 * even thousands of maximal grants add up exactly, and no real account comes near one of them.
 */
export const MAX_CREDIT_AMOUNT = 1_000_000_000_000;

/** A whole number of credits from `min` to `MAX_CREDIT_AMOUNT`. */
function creditAmount(min: 0 | 1) {
  const msg = `must be an integer from ${min} to ${MAX_CREDIT_AMOUNT}`;
  return z.number({ error: msg }).int({ error: msg }).min(min, { error: msg }).max(MAX_CREDIT_AMOUNT, { error: msg });
}

export const TenantIdParams = z.object({
  id: z
    .string()
    .regex(TENANT_ID_PATTERN, { error: "tenant not found" })
    .openapi({ param: { name: "id", in: "path" }, description: "A tenant id", example: "acme" }),
});

const nameMsg = "required, at most 200 characters";

export const CreateTenantBody = z
  .object({
    id: z
      .string({ error: "lowercase letters, digits and dashes, at most 64" })
      .regex(TENANT_ID_PATTERN, { error: "lowercase letters, digits and dashes, at most 64" })
      .optional()
      .openapi({ description: "Default: a generated id" }),
    name: z
      .string({ error: nameMsg })
      .max(200, { error: nameMsg })
      .refine((s) => s.trim() !== "", { error: nameMsg }),
    credits: creditAmount(0).optional().openapi({ description: "Opening balance (default 0)" }),
  })
  .openapi("CreateTenantRequest");

export const Tenant = z.object({ id: z.string(), name: z.string(), created_at: DateTime, credits: Balance }).openapi("Tenant");

export const IssuedKey = z
  .object({
    id: z.string().openapi({ description: "Names the key for revocation" }),
    key: z.string().openapi({ description: "The key, shown once" }),
  })
  .openapi("IssuedKey");

export const RevokedKey = z.object({ id: z.string(), revoked: z.literal(true) }).openapi("RevokedKey");

export const TopUpBody = z
  .object({
    amount: creditAmount(1),
    reason: z.string({ error: "must be a string" }).optional(),
  })
  .openapi("TopUpRequest");

export const TopUpHeaders = z.object({
  "Idempotency-Key": z.string().optional().openapi({ description: "The same key credits the top-up once" }),
});

export const RunCosts = z
  .object({
    run_requests: z.number().int(),
    run_rows: z.number().int(),
    queue_messages: z.number().int(),
    tenant_requests: z.number().int(),
    tenant_rows: z.number().int(),
    alarm_writes: z.number().int(),
  })
  .openapi("RunCosts", { description: "What a run has cost the platform so far, by object (the run's cost field, used by the benchmark)" });

const CallCosts = (what: string) =>
  z.object({
    requests: z
      .number()
      .int()
      .openapi({ description: `${what} received` }),
    rows_written: z.number().int().openapi({ description: "SQLite rows they wrote, index entries included" }),
    since: z.string().openapi({
      description: "When the counting started (ISO 8601); the counts are kept in memory and start again when an object restarts",
    }),
  });

export const SharedCosts = z
  .object({
    heartbeats: CallCosts("Heartbeat calls (beat, stop, list) the ops object").openapi({
      description: "The queue consumers' heartbeats in the ops object (zeros when they are in Upstash Redis)",
    }),
    metrics: z.array(CallCosts("Flushes the shard")).openapi({
      description: "The flushes of tenants' and consumers' metrics into the metrics store, one entry per shard in shard order",
    }),
  })
  .openapi("SharedCosts", {
    description: "What the objects shared by every run have cost since they started (used by the benchmark)",
  });
