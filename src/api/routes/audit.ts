// The tenant's audit trail (GET /v1/audit): every change a person or key made, oldest first.

import { Hono } from "hono";
import type { AppEnv } from "../app-env";
import { requireTenant, tenantStub } from "../auth";
import { queryInt } from "../http";

export const auditTrail = new Hono<AppEnv>();

auditTrail.get("/audit", requireTenant, async (c) => {
  const after = queryInt(c, "after", 0, Number.MAX_SAFE_INTEGER, 0);
  const limit = queryInt(c, "limit", 1, 100, 50);
  return c.json(await tenantStub(c.env, c.get("tenant")).listAudit(after, limit));
});
