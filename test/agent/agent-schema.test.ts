import { describe, expect, it } from "vitest";
import { parseAgent } from "../../src/agent/agent-schema";

const dev = { development: true };
const prod = { development: false };
const PROMPT = "You answer questions about the weather.";

function problem(name: string, body: Record<string, unknown>, opts = dev): { field: string; message: string } {
  const r = parseAgent(name, body, opts);
  if (r.ok) throw new Error("expected a problem");
  return { field: r.field, message: r.message };
}

const lookup = {
  name: "lookup_order",
  description: "Look up an order by id",
  input_schema: { type: "object", properties: { order_id: { type: "string" } }, required: ["order_id"] },
  url: "https://hooks.example.com/orders",
};

describe("custom agent validation", () => {
  it("fills omitted fields from general for a new name", () => {
    const r = parseAgent("weather", { system_prompt: PROMPT }, prod);
    expect(r.ok).toBe(true);
    const a = (r as { agent: any }).agent;
    expect(a).toMatchObject({
      name: "weather",
      builtin: false,
      system_prompt: PROMPT,
      max_steps: 10,
      default_priority: "normal",
      http_tools: [],
    });
    expect(a.tools).toContain("memory_get");
    expect(a.approval.tools).toEqual(["request_approval"]);
  });

  it("an override of a built-in keeps its defaults and approval rules", () => {
    const r = parseAgent("orders", { system_prompt: PROMPT, approval: { tools: ["emit_event"] } }, prod);
    const a = (r as { agent: any }).agent;
    expect(a.default_priority).toBe("high");
    expect(a.ttl_seconds).toBe(3600);
    expect(a.approval).toEqual({ tools: ["request_approval", "emit_event"], tool_prefixes: ["refund", "cancel"], event_types: [] });
  });

  it("accepts a full definition with HTTP tools and hosts", () => {
    const r = parseAgent(
      "ops_bot-2",
      {
        name: "ops_bot-2",
        system_prompt: PROMPT,
        model: "claude-sonnet-4-5",
        tools: ["http_request"],
        max_steps: 50,
        max_credits: 1,
        default_priority: "low",
        ttl_seconds: 60,
        approval: { tools: ["lookup_order"] },
        approval_ttl_seconds: 2,
        allowed_hosts: ["api.example.com", "*.example.org", "127.0.0.1"],
        http_tools: [{ ...lookup, requires_approval: true }],
      },
      prod,
    );
    expect(r.ok).toBe(true);
    expect((r as { agent: any }).agent.http_tools[0]).toMatchObject({ name: "lookup_order", requires_approval: true });
  });

  it("names the field of each problem", () => {
    expect(problem("Bad Name", { system_prompt: PROMPT }).field).toBe("name");
    expect(problem("a", { system_prompt: PROMPT, name: "b" }).field).toBe("name");
    expect(problem("a", {}).field).toBe("system_prompt");
    expect(problem("a", { system_prompt: "x".repeat(32 * 1024 + 1) }).message).toContain("32768 bytes");
    expect(problem("a", { system_prompt: PROMPT, colour: "red" }).field).toBe("colour");
    expect(problem("a", { system_prompt: PROMPT, model: "no spaces please" }).field).toBe("model");
    expect(problem("a", { system_prompt: PROMPT, tools: ["shell"] }).field).toBe("tools[0]");
    expect(problem("a", { system_prompt: PROMPT, tools: ["memory_get", "memory_get"] }).field).toBe("tools[1]");
    expect(problem("a", { system_prompt: PROMPT, max_steps: 0 }).field).toBe("max_steps");
    expect(problem("a", { system_prompt: PROMPT, max_steps: 51 }).field).toBe("max_steps");
    expect(problem("a", { system_prompt: PROMPT, max_credits: 0 }).field).toBe("max_credits");
    expect(problem("a", { system_prompt: PROMPT, default_priority: "urgent" }).field).toBe("default_priority");
    expect(problem("a", { system_prompt: PROMPT, ttl_seconds: 1.5 }).field).toBe("ttl_seconds");
    expect(problem("a", { system_prompt: PROMPT, approval: { tools: ["refund_all"] } }).field).toBe("approval.tools[0]");
    expect(problem("a", { system_prompt: PROMPT, approval: { prefixes: [] } }).field).toBe("approval.prefixes");
    expect(problem("a", { system_prompt: PROMPT, approval_ttl_seconds: 0 }).field).toBe("approval_ttl_seconds");
    expect(problem("a", { system_prompt: PROMPT, allowed_hosts: ["https://api.example.com"] }).field).toBe("allowed_hosts[0]");
    expect(problem("a", { system_prompt: PROMPT, allowed_hosts: ["api.example.com:8443"] }).field).toBe("allowed_hosts[0]");
  });

  it("checks each HTTP tool", () => {
    const tool = (t: Record<string, unknown>) => problem("a", { system_prompt: PROMPT, http_tools: [{ ...lookup, ...t }] }, prod);
    expect(tool({ name: "bad name" }).field).toBe("http_tools[0].name");
    expect(tool({ name: "memory_get" }).message).toContain("built-in tool");
    expect(tool({ name: "complete_step" }).field).toBe("http_tools[0].name");
    expect(tool({ description: "" }).field).toBe("http_tools[0].description");
    expect(tool({ url: "http://hooks.example.com/x" }).field).toBe("http_tools[0].url");
    expect(tool({ url: "https://127.0.0.1/x" }).message).toContain("not a public internet host");
    expect(tool({ requires_approval: "yes" }).field).toBe("http_tools[0].requires_approval");
    expect(tool({ extra: 1 }).field).toBe("http_tools[0].extra");
    const twice = problem("a", { system_prompt: PROMPT, http_tools: [lookup, lookup] }, prod);
    expect(twice.field).toBe("http_tools[1].name");
    expect(parseAgent("a", { system_prompt: PROMPT, http_tools: [{ ...lookup, url: "http://127.0.0.1:9/x" }] }, dev).ok).toBe(true);
  });

  it("requires input_schema to be a valid JSON Schema object", () => {
    const schema = (input_schema: unknown) => problem("a", { system_prompt: PROMPT, http_tools: [{ ...lookup, input_schema }] }, prod);
    expect(schema(undefined).field).toBe("http_tools[0].input_schema");
    expect(schema({ type: "array" }).message).toContain('type "object"');
    expect(schema({ type: "object", properties: { a: { type: "strng" } } }).message).toContain("$.properties.a.type");
    expect(schema({ type: "object", required: "a" }).message).toContain("required");
    expect(schema({ type: "object", properties: { a: { pattern: "(" } } }).message).toContain("regular expression");
    expect(schema({ type: "object", properties: { a: { $ref: "#/$defs/missing" } } }).message).toContain("$ref");
    expect(schema({ type: "object", properties: { a: { $ref: "https://example.com/s.json" } } }).message).toContain("local reference");
    expect(schema({ type: "object", anyOf: [] }).message).toContain("anyOf");
    const ok = parseAgent(
      "a",
      {
        system_prompt: PROMPT,
        http_tools: [
          {
            ...lookup,
            input_schema: { type: "object", $defs: { id: { type: "string", minLength: 1 } }, properties: { id: { $ref: "#/$defs/id" } } },
          },
        ],
      },
      prod,
    );
    expect(ok.ok).toBe(true);
  });
});
