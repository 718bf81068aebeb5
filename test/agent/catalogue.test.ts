// The business catalogue agents: each exists for every tenant with its priority, time-to-live,
// tools and approval rules, and the event-type approval rules pause a run.

import { describe, expect, it } from "vitest";
import { api, createRun, json, newTenant, waitForRun } from "../helpers/api";

const FILE_TOOLS = ["file_write", "file_read", "file_list"];

const CATALOGUE = [
  { name: "inventory", default_priority: "normal", ttl_seconds: 1800, event_types: [] as string[], words: /stock/i },
  { name: "seo", default_priority: "normal", ttl_seconds: 7200, event_types: [], words: /search engine/i },
  { name: "social_media", default_priority: "normal", ttl_seconds: 3600, event_types: ["content.publish"], words: /social media/i },
  { name: "email_campaigns", default_priority: "normal", ttl_seconds: 7200, event_types: ["email.send"], words: /email campaigns/i },
  { name: "analytics", default_priority: "low", ttl_seconds: 14_400, event_types: [], words: /metrics/i },
];

const awaiting = (r: any) => r.status === "awaiting_approval";

describe("the business catalogue agents", () => {
  for (const want of CATALOGUE) {
    it(`${want.name}: priority ${want.default_priority}, ttl ${want.ttl_seconds}s, approval for ${["request_approval", ...want.event_types].join(", ")}`, async () => {
      const t = await newTenant();
      const res = await api(`/v1/agents/${want.name}`, { key: t.key });
      expect(res.status).toBe(200);
      const agent = await res.json<any>();
      expect(agent).toMatchObject({
        name: want.name,
        builtin: true,
        default_priority: want.default_priority,
        ttl_seconds: want.ttl_seconds,
        approval: { tools: ["request_approval"], tool_prefixes: [], event_types: want.event_types },
      });
      expect(agent.tools).toEqual(expect.arrayContaining(["emit_event", "request_approval", ...FILE_TOOLS]));
      expect(agent.tools).not.toContain("run_code");
      expect(agent.system_prompt).toMatch(want.words);
    });
  }

  it("a run takes the agent's default priority: analytics runs on the low lane", async () => {
    const t = await newTenant();
    const run = await createRun({ agent: "analytics", input: "- weekly sales" }, t.key);
    expect(run.priority).toBe("low");
    expect((await waitForRun(run.id, { key: t.key })).status).toBe("succeeded");
  });

  it("social_media: emit_event of type content.publish waits for a person; approving publishes it", async () => {
    const t = await newTenant();
    const input = '- publish the post !tool emit_event {"type":"content.publish","data":{"channel":"mastodon","text":"Spring sale"}}';
    const run = await createRun({ agent: "social_media", input }, t.key);
    const waiting = await waitForRun(run.id, { key: t.key, until: awaiting });
    expect(waiting.approvals).toHaveLength(1);
    expect(waiting.approvals[0]).toMatchObject({ tool: "emit_event", status: "pending" });
    const before = await json(api("/v1/events", { key: t.key }));
    expect(before.events.filter((e: any) => e.type === "content.publish")).toEqual([]);
    const decided = await api(`/v1/approvals/${waiting.approvals[0].id}`, { method: "POST", key: t.key, json: { decision: "approve" } });
    expect(decided.status).toBe(200);
    expect((await waitForRun(run.id, { key: t.key })).status).toBe("succeeded");
    const after = await json(api("/v1/events", { key: t.key }));
    const published = after.events.filter((e: any) => e.type === "content.publish");
    expect(published).toHaveLength(1);
    expect(published[0].data).toEqual({ channel: "mastodon", text: "Spring sale" });
  });

  it("email_campaigns: emit_event of type email.send waits for a person; other event types do not", async () => {
    const t = await newTenant();
    const send = '- send it !tool emit_event {"type":"email.send","data":{"segment":"all","subject":"Hi"}}';
    const gated = await createRun({ agent: "email_campaigns", input: send }, t.key);
    const waiting = await waitForRun(gated.id, { key: t.key, until: awaiting });
    expect(waiting.approvals[0]).toMatchObject({ tool: "emit_event", status: "pending" });

    const draft = '- note the draft !tool emit_event {"type":"email.drafted","data":{"subject":"Hi"}}';
    const free = await createRun({ agent: "email_campaigns", input: draft }, t.key);
    const done = await waitForRun(free.id, { key: t.key });
    expect(done.status).toBe("succeeded");
    expect(done.approvals).toEqual([]);
  });

  it("inventory: an emit_event of any type goes through without a person", async () => {
    const t = await newTenant();
    const input = '- flag it !tool emit_event {"type":"inventory.low_stock","data":{"sku":"A1","on_hand":2}}';
    const run = await createRun({ agent: "inventory", input }, t.key);
    const done = await waitForRun(run.id, { key: t.key });
    expect(done.status).toBe("succeeded");
    expect(done.approvals).toEqual([]);
  });
});
