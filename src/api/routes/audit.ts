// The tenant's audit trail (GET /v1/audit): every change a person or key made, oldest first.

import { createRoute, z } from "@hono/zod-openapi";
import { requireTenant, tenantStub } from "../auth";
import { errors, json, queryInt, TENANT_ERRORS, TENANT_SECURITY } from "../schemas/common";
import { AuditPage } from "../schemas/people";
import { router } from "../validation";

export const auditTrail = router();

const list = createRoute({
  method: "get",
  path: "/audit",
  operationId: "listAudit",
  tags: ["People"],
  security: TENANT_SECURITY,
  summary: "Audit trail",
  description:
    "Every change a person or key made (keys issued or revoked, top-ups, approvals decided, runs canceled, retried, redriven or resolved, agents saved or deleted, the webhook set, feedback given), oldest first; never a secret.",
  middleware: [requireTenant],
  request: {
    query: z.object({
      after: queryInt(0, Number.MAX_SAFE_INTEGER, 0, "Only entries after this position"),
      limit: queryInt(1, 100, 50, "Page size"),
    }),
  },
  responses: { 200: json(AuditPage, "A page of the trail"), ...errors("invalid_request", ...TENANT_ERRORS) },
});

auditTrail.openapi(list, async (c) => {
  const { after, limit } = c.req.valid("query");
  return c.json((await tenantStub(c.env, c.get("tenant")).listAudit(after, limit)) as z.infer<typeof AuditPage>, 200);
});
