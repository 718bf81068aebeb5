import { describe, expect, it } from "vitest";
import { api, createRun, json, newTenant, waitForRun } from "../helpers/api";
import { echoUrl, received } from "../helpers/echo";
import { eventually, scope, subscribe } from "../helpers/webhooks";
import { openStream, receivedEvent } from "../helpers/ws";

async function refundAgent(key: string, s: string) {
  const agent = await api("/v1/agents/orders", {
    method: "PUT",
    key,
    json: {
      system_prompt: "You handle orders.",
      tools: ["request_approval"],
      http_tools: [
        {
          name: "refund_order",
          description: "Refund an order",
          input_schema: {
            type: "object",
            properties: { order_id: { type: "string" }, amount: { type: "number" } },
            required: ["order_id", "amount"],
          },
          url: `${echoUrl()}/hook/${s}/refund_order`,
          requires_approval: false,
        },
      ],
    },
  });
  expect([200, 201]).toContain(agent.status);
}

describe("human in the loop with signed webhooks", () => {
  it("an orders refund waits for approval; the edited amount reaches the tool; webhooks arrive signed", async () => {
    const t = await newTenant(1000);
    const s = scope();
    await subscribe(t.key, s);
    await refundAgent(t.key, s);
    const run = await createRun({ agent: "orders", input: '- refund order 42 !tool refund_order {"order_id":"42","amount":30}' }, t.key);
    const { client } = await openStream(run.id, { key: t.key });
    const waiting = await waitForRun(run.id, { key: t.key, until: (r) => r.status === "awaiting_approval" });
    const live = await receivedEvent(client!, "approval.requested");
    expect(live.data).toMatchObject({ tool: "refund_order", input: { order_id: "42", amount: 30 } });
    expect((await received(s)).filter((r) => r.path.includes("refund_order"))).toHaveLength(0);

    const bad = await api(`/v1/approvals/${waiting.approvals[0].id}`, {
      method: "POST",
      key: t.key,
      json: { decision: "approve", input: { order_id: 42 } },
    });
    expect(bad.status).toBe(400);
    const ok = await api(`/v1/approvals/${waiting.approvals[0].id}`, {
      method: "POST",
      key: t.key,
      json: { decision: "approve", input: { order_id: "42", amount: 25 } },
    });
    expect(ok.status).toBe(200);
    const done = await waitForRun(run.id, { key: t.key });
    expect(done.status).toBe("succeeded");
    const toolCalls = (await received(s)).filter((r) => r.path.includes("refund_order"));
    expect(toolCalls).toHaveLength(1);
    expect(toolCalls[0]!.verified).toBe(true);
    expect(JSON.parse(toolCalls[0]!.body)).toEqual({ order_id: "42", amount: 25 });

    const hooks = await eventually(
      async () => (await received(s)).filter((r) => r.path.includes("/webhook")),
      (h) => h.length >= 3,
    );
    const types = hooks.map((h) => JSON.parse(h.body).type);
    expect(types).toEqual(expect.arrayContaining(["approval.requested", "approval.decided", "run.succeeded"]));
    expect(hooks.every((h) => h.verified)).toBe(true);
    expect(new Set(hooks.map((h) => h.headers["webhook-id"])).size).toBe(hooks.length);
    const log = await json(api("/v1/events", { key: t.key }));
    // The rest of the log is the audit trail (tenant and key created, webhook set, approval decided).
    const runEvents = log.events.filter((e: any) => e.type !== "audit.recorded");
    expect(runEvents.map((e: any) => e.type)).toEqual(["approval.requested", "approval.decided", "run.succeeded"]);
  });

  it("a receiver that answers 500 twice then 200 gets the event three times with one webhook-id", async () => {
    const t = await newTenant(1000);
    const s = scope();
    await subscribe(t.key, s, ["run.succeeded"], "?fail=2");
    const run = await createRun({ agent: "general", input: "quick" }, t.key);
    await waitForRun(run.id, { key: t.key });
    const hooks = await eventually(
      async () => (await received(s)).filter((r) => r.path.includes("/webhook")),
      (h) => h.length >= 3,
    );
    expect(hooks).toHaveLength(3);
    expect(new Set(hooks.map((h) => h.headers["webhook-id"])).size).toBe(1);
    expect(hooks.every((h) => h.verified)).toBe(true);
    const log = await eventually(
      () => json(api("/v1/events", { key: t.key })),
      (l: any) => l.events.find((e: any) => e.type === "run.succeeded")?.deliveries[0]?.status === "delivered",
    );
    expect(log.events.find((e: any) => e.type === "run.succeeded").deliveries[0]).toMatchObject({
      target: "tenant",
      status: "delivered",
      attempts: 3,
      last_status: 200,
    });
  });

  it("a rejected refund never calls the tool; the run's own webhook_url gets its events", async () => {
    const t = await newTenant(1000);
    const s = scope();
    const sub = await subscribe(t.key, s, ["none.matching"]);
    expect(sub.events).toEqual(["none.matching"]);
    await refundAgent(t.key, s);
    const input = '- refund !tool refund_order {"order_id":"7","amount":5}\n- report';
    const run = await createRun({ agent: "orders", input, webhook_url: `${echoUrl()}/hook/${s}/own` }, t.key);
    const waiting = await waitForRun(run.id, { key: t.key, until: (r) => r.status === "awaiting_approval" });
    const res = await api(`/v1/approvals/${waiting.approvals[0].id}`, {
      method: "POST",
      key: t.key,
      json: { decision: "reject", comment: "no" },
    });
    expect(res.status).toBe(200);
    const done = await waitForRun(run.id, { key: t.key });
    expect(done.status).toBe("succeeded");
    expect(done.steps.map((x: any) => x.status)).toEqual(["completed", "completed"]);
    expect((await received(s)).filter((r) => r.path.includes("refund_order"))).toHaveLength(0);
    const own = await eventually(
      async () => (await received(s)).filter((r) => r.path.includes("/own")),
      (h) => h.some((x) => JSON.parse(x.body).type === "run.succeeded"),
    );
    expect(own.every((h) => h.verified)).toBe(true);
    expect((await received(s)).filter((r) => r.path.includes("/webhook"))).toHaveLength(0);
  });

  it("webhook URLs are validated", async () => {
    const bad = await api("/v1/webhooks", { method: "PUT", json: { url: "ftp://example.com/x" } });
    expect(bad.status).toBe(400);
    const badRun = await api("/v1/runs", { method: "POST", json: { agent: "general", input: "x", webhook_url: "file:///etc/passwd" } });
    expect(badRun.status).toBe(400);
  });
});
