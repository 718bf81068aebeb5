// Operations: queue counts and credits for the caller's tenant.

import { Hono } from "hono";
import type { AppEnv } from "../app-env";
import { requireTenant, tenantStub } from "../auth";
import { queryInt } from "../http";
import { heartbeats } from "../../deps";

export const ops = new Hono<AppEnv>();
ops.use("*", requireTenant);

ops.get("/queues", async (c) => c.json(await tenantStub(c.env, c.get("tenant")).queueStats()));

ops.get("/workers", async (c) => c.json({ workers: await heartbeats(c.env).list() }));

ops.get("/credits", async (c) => c.json(await tenantStub(c.env, c.get("tenant")).balance()));

ops.get("/credits/ledger", async (c) => {
  const limit = queryInt(c, "limit", 1, 100, 50);
  const cursor = c.req.query("cursor") ?? null;
  return c.json(await tenantStub(c.env, c.get("tenant")).ledgerPage(limit, cursor));
});
