// Recording a change a request made in its tenant's audit trail, with the request's actor.

import type { Context } from "hono";
import type { AuditRecord } from "../tenant/audit-store";
import type { AppEnv } from "./app-env";
import { tenantStub } from "./auth";

/**
 * Records what this request changed in `tenantId`'s trail (default: the caller's tenant; admin
 * routes name the tenant they changed). Call it after the change succeeded.
 */
export async function audit(c: Context<AppEnv>, r: Omit<AuditRecord, "actor">, tenantId: string = c.get("tenant")): Promise<void> {
  await tenantStub(c.env, tenantId).recordAudit({ ...r, actor: c.get("actor") });
}
