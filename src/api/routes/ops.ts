// Operations: queue counts (from the external counters when configured, else the tenant object),
// workers' heartbeats, and credits for the caller's tenant.

import { createRoute, z } from "@hono/zod-openapi";
import { creditLedger, heartbeats, queueCounters } from "../../deps";
import { ApiError } from "../../domain/errors";
import { errorText, log } from "../../ops/log";
import { requireTenant, tenantStub } from "../auth";
import { errors, json, queryInt, TENANT_ERRORS, TENANT_SECURITY } from "../schemas/common";
import { Balance, LedgerPage, QueueStats, WorkerList } from "../schemas/operations";
import { router } from "../validation";

export const ops = router();
ops.use("*", requireTenant);
const tags = ["Operations"];
const security = TENANT_SECURITY;

const queues = createRoute({
  method: "get",
  path: "/queues",
  operationId: "getQueues",
  tags,
  security,
  summary: "Queue counts",
  description: "Runs queued and running per priority lane, and those awaiting approval, scheduled, retrying and dead.",
  responses: { 200: json(QueueStats, "The caller's queue counts"), ...errors(...TENANT_ERRORS) },
});

ops.openapi(queues, async (c) => {
  const counters = queueCounters(c.env);
  if (!counters) return c.json((await tenantStub(c.env, c.get("tenant")).queueStats()) as z.infer<typeof QueueStats>, 200);
  try {
    return c.json((await counters.read(c.get("tenant"))) as z.infer<typeof QueueStats>, 200);
  } catch (e) {
    log.error("counters.read_failed", "queue counters (Upstash) read failed", { error: errorText(e) });
    throw new ApiError("unavailable", "queue counts (Upstash Redis) are unavailable; please retry");
  }
});

const workers = createRoute({
  method: "get",
  path: "/workers",
  operationId: "listWorkers",
  tags,
  security,
  summary: "Workers",
  description: "Queue consumers alive now, from their heartbeats.",
  responses: { 200: json(WorkerList, "Live workers"), ...errors(...TENANT_ERRORS) },
});

ops.openapi(workers, async (c) => c.json({ workers: await heartbeats(c.env).list() }, 200));

const credits = createRoute({
  method: "get",
  path: "/credits",
  operationId: "getCredits",
  tags,
  security,
  summary: "Credit balance",
  responses: { 200: json(Balance, "The caller's balance"), ...errors(...TENANT_ERRORS) },
});

ops.openapi(credits, async (c) => c.json(await creditLedger(c.env).balance(c.get("tenant")), 200));

const ledger = createRoute({
  method: "get",
  path: "/credits/ledger",
  operationId: "getCreditLedger",
  tags,
  security,
  summary: "Credit ledger",
  description: "Every credit movement (reserve, charge, release, top-up), newest first.",
  request: {
    query: z.object({
      limit: queryInt(1, 100, 50, "Page size"),
      cursor: z
        .string()
        .regex(/^[0-9]{1,18}$/, { error: "is not valid" })
        .optional()
        .openapi({ description: "`next_cursor` of the previous page" }),
    }),
  },
  responses: { 200: json(LedgerPage, "A page of ledger entries"), ...errors("invalid_request", ...TENANT_ERRORS) },
});

ops.openapi(ledger, async (c) => {
  const { limit, cursor } = c.req.valid("query");
  return c.json(await creditLedger(c.env).ledger(c.get("tenant"), limit, cursor), 200);
});
