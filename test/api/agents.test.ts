import { describe, expect, it } from "vitest";
import { api, json, newTenant } from "../helpers/api";

const PROMPT = "You look after a small bookshop's orders.";

describe("/v1/agents", () => {
  it("lists the nine built-in agents for a new tenant", async () => {
    const t = await newTenant();
    const res = await api("/v1/agents", { key: t.key });
    expect(res.status).toBe(200);
    const { agents } = await res.json<any>();
    expect(agents.map((a: any) => a.name)).toEqual([
      "analytics",
      "email_campaigns",
      "general",
      "inventory",
      "marketing",
      "orders",
      "seo",
      "social_media",
      "support",
    ]);
    expect(agents.every((a: any) => a.builtin)).toBe(true);
    const support = await json(api("/v1/agents/support", { key: t.key }));
    expect(support).toMatchObject({ name: "support", default_priority: "high", ttl_seconds: 7200 });
  });

  it("creates (201), replaces (200), lists and deletes (204) a custom agent", async () => {
    const t = await newTenant();
    const put = () => api("/v1/agents/bookshop", { method: "PUT", key: t.key, json: { system_prompt: PROMPT, max_steps: 3 } });
    const created = await put();
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({ name: "bookshop", builtin: false, max_steps: 3 });
    expect((await put()).status).toBe(200);
    const list = await json(api("/v1/agents", { key: t.key }));
    expect(list.agents.map((a: any) => a.name)).toContain("bookshop");
    expect((await api("/v1/agents/bookshop", { method: "DELETE", key: t.key })).status).toBe(204);
    expect((await api("/v1/agents/bookshop", { key: t.key })).status).toBe(404);
  });

  it("a custom agent overrides a built-in by name, and deleting it brings the built-in back", async () => {
    const t = await newTenant();
    const res = await api("/v1/agents/support", { method: "PUT", key: t.key, json: { system_prompt: PROMPT } });
    expect(res.status).toBe(201);
    const list = await json(api("/v1/agents", { key: t.key }));
    const support = list.agents.filter((a: any) => a.name === "support");
    expect(support).toHaveLength(1);
    expect(support[0]).toMatchObject({ builtin: false, system_prompt: PROMPT, default_priority: "high" });
    expect((await api("/v1/agents/support", { method: "DELETE", key: t.key })).status).toBe(204);
    expect(await json(api("/v1/agents/support", { key: t.key }))).toMatchObject({ builtin: true });
  });

  it("keeps tenants apart", async () => {
    const a = await newTenant();
    const b = await newTenant();
    await api("/v1/agents/private-bot", { method: "PUT", key: a.key, json: { system_prompt: PROMPT } });
    expect((await api("/v1/agents/private-bot", { key: b.key })).status).toBe(404);
  });

  it("answers each documented error", async () => {
    const t = await newTenant();
    const bad = await api("/v1/agents/x", { method: "PUT", key: t.key, json: { system_prompt: PROMPT, max_steps: 99 } });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({
      error: { code: "invalid_request", message: "max_steps: must be an integer from 1 to 50", details: { field: "max_steps" } },
    });
    const badName = await api("/v1/agents/Not_Valid", { method: "PUT", key: t.key, json: { system_prompt: PROMPT } });
    expect((await badName.json<any>()).error.details.field).toBe("name");
    const text = await api("/v1/agents/x", { method: "PUT", key: t.key, body: "system_prompt", headers: { "content-type": "text/plain" } });
    expect(text.status).toBe(415);
    const big = await api("/v1/agents/x", { method: "PUT", key: t.key, json: { system_prompt: "x".repeat(140_000) } });
    expect(big.status).toBe(413);
    const longPrompt = await api("/v1/agents/x", { method: "PUT", key: t.key, json: { system_prompt: "x".repeat(40_000) } });
    expect((await longPrompt.json<any>()).error.details.field).toBe("system_prompt");
    expect((await api("/v1/agents", { key: null })).status).toBe(401);
    expect((await api("/v1/agents/nobody", { key: t.key })).status).toBe(404);
    expect((await api("/v1/agents/nobody", { method: "DELETE", key: t.key })).status).toBe(404);
    const builtin = await api("/v1/agents/general", { method: "DELETE", key: t.key });
    expect(builtin.status).toBe(409);
    expect((await builtin.json<any>()).error.code).toBe("conflict");
  });

  it("a run started with a custom agent uses it; an unknown agent is refused", async () => {
    const t = await newTenant();
    await api("/v1/agents/one-step", { method: "PUT", key: t.key, json: { system_prompt: PROMPT, max_steps: 1, default_priority: "low" } });
    const ok = await api("/v1/runs", { method: "POST", key: t.key, json: { agent: "one-step", input: "hello" } });
    expect(ok.status).toBe(202);
    expect(await ok.json()).toMatchObject({ agent: "one-step", priority: "low" });
    const unknown = await api("/v1/runs", { method: "POST", key: t.key, json: { agent: "nobody", input: "hello" } });
    expect(unknown.status).toBe(400);
  });
});
