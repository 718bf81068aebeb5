// Operations: queue counts (from the external counters when configured, else the tenant object)
// and credits for the caller's tenant.

import { Hono } from "hono";
import { creditLedger, heartbeats, queueCounters } from "../../deps";
import { ApiError } from "../../domain/errors";
import { errorText, log } from "../../ops/log";
import type { AppEnv } from "../app-env";
import { requireTenant, tenantStub } from "../auth";
import { queryInt } from "../http";

export const ops = new Hono<AppEnv>();
ops.use("*", requireTenant);

ops.get("/queues", async (c) => {
  const counters = queueCounters(c.env);
  if (!counters) return c.json(await tenantStub(c.env, c.get("tenant")).queueStats());
  try {
    return c.json(await counters.read(c.get("tenant")));
  } catch (e) {
    log.error("counters.read_failed", "queue counters (Upstash) read failed", { error: errorText(e) });
    throw new ApiError("unavailable", "queue counts (Upstash Redis) are unavailable; please retry");
  }
});

ops.get("/workers", async (c) => c.json({ workers: await heartbeats(c.env).list() }));

ops.get("/credits", async (c) => c.json(await creditLedger(c.env).balance(c.get("tenant"))));

ops.get("/credits/ledger", async (c) => {
  const limit = queryInt(c, "limit", 1, 100, 50);
  const cursor = c.req.query("cursor") ?? null;
  if (cursor !== null && !/^[0-9]{1,18}$/.test(cursor)) throw new ApiError("invalid_request", "cursor is not valid", { field: "cursor" });
  return c.json(await creditLedger(c.env).ledger(c.get("tenant"), limit, cursor ?? undefined));
});
