// The audit trail: every change a person or key makes, with its actor, in the affected tenant's
// trail only, each also an audit.recorded event, and never a secret.

import { describe, expect, it } from "vitest";
import { ADMIN, api, createRun, json, newTenant, waitForRun } from "../helpers/api";
import { echoUrl, trustSecret } from "../helpers/echo";

async function trail(key: string): Promise<any[]> {
  const out: any[] = [];
  let after = 0;
  for (;;) {
    const page = await json(api(`/v1/audit?after=${after}&limit=100`, { key }));
    out.push(...page.entries);
    if (page.entries.length < 100) return out;
    after = page.next_after;
  }
}

describe("the audit trail", () => {
  it("records each change with its actor and target, as audit.recorded events, with no secret", async () => {
    const t = await newTenant();
    const me = { type: "api_key", id: t.keyId };
    const admin = { type: "admin", id: "admin" };
    const post = (path: string, body?: unknown) => api(path, { method: "POST", key: t.key, ...(body === undefined ? {} : { json: body }) });

    // Admin changes to this tenant: a second key (then revoked) and a top-up.
    const second = await json(api(`/v1/admin/tenants/${t.id}/keys`, { method: "POST", key: ADMIN }));
    expect((await api(`/v1/admin/tenants/${t.id}/keys/${second.id}`, { method: "DELETE", key: ADMIN })).status).toBe(200);
    expect(
      (await api(`/v1/admin/tenants/${t.id}/credits`, { method: "POST", key: ADMIN, json: { amount: 50, reason: "goodwill" } })).status,
    ).toBe(200);
    // The tenant's own changes.
    expect((await api("/v1/agents/helper", { method: "PUT", key: t.key, json: { system_prompt: "You help." } })).status).toBe(201);
    expect((await api("/v1/agents/helper", { method: "DELETE", key: t.key })).status).toBe(204);
    const hook = await api("/v1/webhooks", { method: "PUT", key: t.key, json: { url: `${echoUrl()}/hook/audit/webhook?token=s3cr3t` } });
    const { secret } = await hook.json<any>();
    // The echo server accepts the deliveries, so none is still being retried (and logging) while
    // later test files run.
    await trustSecret("audit", secret);
    const waiting = await createRun({ agent: "general", input: "- check !approve\n- report" }, t.key);
    const paused = await waitForRun(waiting.id, { key: t.key, until: (r) => r.status === "awaiting_approval" });
    const approvalId = paused.approvals[0].id;
    expect((await post(`/v1/approvals/${approvalId}`, { decision: "reject", comment: "no" })).status).toBe(200);
    const later = await createRun({ agent: "general", input: "x", run_at: new Date(Date.now() + 3_600_000).toISOString() }, t.key);
    expect((await post(`/v1/runs/${later.id}/cancel`)).status).toBe(200);
    const failing = await createRun({ agent: "general", input: "- a\n- b !fail-permanent" }, t.key);
    await waitForRun(failing.id, { key: t.key });
    expect((await post(`/v1/runs/${failing.id}/retry`, { from_step: 2 })).status).toBe(200);
    await waitForRun(failing.id, { key: t.key, until: (r) => r.status === "failed" && r.attempts === 2 });
    expect((await post("/v1/dlq/redrive", { ids: [failing.id] })).status).toBe(200);
    await waitForRun(failing.id, { key: t.key, until: (r) => r.status === "failed" && r.attempts === 3 });
    expect((await post(`/v1/runs/${failing.id}/resolve`, { action: "dismissed" })).status).toBe(200);
    const fb = await json(post(`/v1/runs/${failing.id}/feedback`, { rating: "down" }));

    const entries = await trail(t.key);
    expect(entries.map((e) => [e.action, e.actor, e.target])).toEqual([
      ["tenant.created", admin, { type: "tenant", id: t.id }],
      ["key.created", admin, { type: "api_key", id: t.keyId }],
      ["key.created", admin, { type: "api_key", id: second.id }],
      ["key.revoked", admin, { type: "api_key", id: second.id }],
      ["credits.topped_up", admin, { type: "tenant", id: t.id }],
      ["agent.put", me, { type: "agent", id: "helper" }],
      ["agent.deleted", me, { type: "agent", id: "helper" }],
      ["webhook.set", me, { type: "webhook", id: "tenant" }],
      ["approval.decided", me, { type: "approval", id: approvalId }],
      ["run.canceled", me, { type: "run", id: later.id }],
      ["run.retried", me, { type: "run", id: failing.id }],
      ["run.redriven", me, { type: "run", id: failing.id }],
      ["run.resolved", me, { type: "run", id: failing.id }],
      ["feedback.created", me, { type: "feedback", id: fb.id }],
    ]);
    expect(entries.find((e) => e.action === "credits.topped_up").details).toEqual({ amount: 50, reason: "goodwill" });
    expect(entries.find((e) => e.action === "run.retried").details).toEqual({ attempt: 2, from_step: 2, input_replaced: false });
    expect(entries.find((e) => e.action === "webhook.set").details).toEqual({
      url: `${echoUrl()}/hook/audit/webhook`,
      events: [],
      topics: [],
    });
    const text = JSON.stringify(entries);
    for (const s of [second.key, t.key, secret, "s3cr3t"]) expect(text).not.toContain(s);

    const events = (await json(api("/v1/events?limit=100", { key: t.key }))).events.filter((e: any) => e.type === "audit.recorded");
    expect(events.map((e: any) => e.data)).toEqual(entries);
  });

  it("pages with after and limit; another tenant's trail is its own; bad paging is 400", async () => {
    const a = await newTenant();
    const b = await newTenant();
    await api("/v1/agents/mine", { method: "PUT", key: a.key, json: { system_prompt: "Mine." } });
    const first = await json(api("/v1/audit?limit=1", { key: a.key }));
    const rest = await json(api(`/v1/audit?after=${first.next_after}`, { key: a.key }));
    expect([...first.entries, ...rest.entries].map((e: any) => e.action)).toEqual(["tenant.created", "key.created", "agent.put"]);
    expect((await json(api(`/v1/audit?after=${rest.next_after}`, { key: a.key }))).entries).toEqual([]);
    expect((await trail(b.key)).map((e) => e.action)).toEqual(["tenant.created", "key.created"]);
    for (const q of ["limit=0", "limit=101", "after=x"]) {
      const res = await api(`/v1/audit?${q}`, { key: a.key });
      expect(res.status, q).toBe(400);
      expect((await res.json<any>()).error.code).toBe("invalid_request");
    }
  });
});
