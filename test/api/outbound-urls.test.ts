// Outbound URLs are checked when they are saved, under production rules: the webhook subscription,
// a run's webhook_url and an agent's HTTP tool URLs. Each refusal is a 400 naming the field and
// the range.

import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { app } from "../../src/api/app";
import { api, BASE, json, newTenant } from "../helpers/api";

// The same app and bindings with production rules.
const production = { ...env, ENVIRONMENT: "production" } as Env;

async function call(path: string, key: string, method: string, body: unknown): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await app.fetch(
    new Request(`${BASE}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    }),
    production,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return res;
}

const REFUSED = [
  ["https://[::ffff:7f00:1]/hook", "IPv4-mapped form of 127.0.0.1"],
  ["https://[64:ff9b::a9fe:a9fe]/hook", "NAT64 form of 169.254.169.254"],
  ["https://[2002:7f00:1::]/hook", "6to4 form of 127.0.0.1"],
  ["https://0x7f.1/hook", "loopback 127.0.0.0/8"],
  ["https://100.64.0.1/hook", "carrier-grade NAT"],
  ["https://198.51.100.7/hook", "TEST-NET-2"],
] as const;

describe("outbound URLs saved under production rules", () => {
  it.each(REFUSED)("PUT /v1/webhooks refuses %s", async (url, reason) => {
    const t = await newTenant(10);
    const res = await call("/v1/webhooks", t.key, "PUT", { url });
    expect(res.status).toBe(400);
    const body = await json(res);
    expect(body.error).toMatchObject({ code: "invalid_request", details: { field: "url" } });
    expect(body.error.message).toContain(reason);
  });

  it.each(REFUSED)("POST /v1/runs refuses webhook_url %s and creates no run", async (url, reason) => {
    const t = await newTenant(10);
    const res = await call("/v1/runs", t.key, "POST", { agent: "general", input: "x", webhook_url: url });
    expect(res.status).toBe(400);
    const body = await json(res);
    expect(body.error).toMatchObject({ code: "invalid_request", details: { field: "webhook_url" } });
    expect(body.error.message).toContain(reason);
    expect((await json(api("/v1/runs", { key: t.key }))).runs).toEqual([]);
  });

  it.each(REFUSED)("PUT /v1/agents refuses an HTTP tool at %s and saves no agent", async (url, reason) => {
    const t = await newTenant(10);
    const res = await call("/v1/agents/lookups", t.key, "PUT", {
      system_prompt: "You look up orders.",
      http_tools: [{ name: "lookup_order", description: "Look up an order", input_schema: { type: "object" }, url }],
    });
    expect(res.status).toBe(400);
    const body = await json(res);
    expect(body.error.code).toBe("invalid_request");
    expect(body.error.message).toContain(reason);
    expect((await api("/v1/agents/lookups", { key: t.key })).status).toBe(404);
  });

  it("a public https webhook URL is accepted", async () => {
    const t = await newTenant(10);
    const res = await call("/v1/webhooks", t.key, "PUT", { url: "https://hooks.example.com/edgecrew" });
    expect(res.status).toBe(200);
    expect((await json(res)).url).toBe("https://hooks.example.com/edgecrew");
  });
});
