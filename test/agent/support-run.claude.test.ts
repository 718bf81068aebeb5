// A support run through the real Anthropic SDK against the fake Messages API: planning, memory,
// http_request to a local host, a signed tenant HTTP tool, usage and every tool_result.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { BUILTIN_AGENTS } from "../../src/agent/agents";
import { allEvents, api, createRun, newTenant, waitForRun } from "../helpers/api";
import { echoUrl, received, trustSecret } from "../helpers/echo";
import { complete, newScope, plan, requestsFor, script, toolResults, toolUses } from "../helpers/fake-model";

describe("a support run driven by Claude (fake Messages API)", () => {
  it("plans, remembers, calls an allowed host and a signed tenant tool, and succeeds", async () => {
    const t = await newTenant();
    const scope = newScope("support");
    const secret = await env.TENANTS.get(env.TENANTS.idFromName(t.id)).signingSecret();
    await trustSecret(scope, secret);
    const put = await api("/v1/agents/support", {
      method: "PUT",
      key: t.key,
      json: {
        system_prompt: BUILTIN_AGENTS.support!.system_prompt,
        allowed_hosts: ["127.0.0.1"],
        http_tools: [
          {
            name: "lookup_order",
            description: "Look up an order by id",
            input_schema: { type: "object", properties: { order_id: { type: "string" } }, required: ["order_id"] },
            url: `${echoUrl()}/hook/${scope}/lookup_order`,
          },
        ],
      },
    });
    expect(put.status).toBe(201);

    const u = (i: number) => ({ input_tokens: 100 + i, output_tokens: 10 + i, cache_read_input_tokens: i });
    await script(scope, [
      plan(["Record the customer", "Look up the order"], u(1)),
      toolUses(
        [
          { id: "toolu_mem", name: "memory_set", input: { key: "customer", value: { name: "Ada", tier: "gold" } } },
          { id: "toolu_http", name: "http_request", input: { method: "GET", url: `${echoUrl()}/echo/${scope}/status?order=A1` } },
        ],
        u(2),
      ),
      complete("Recorded Ada and checked the status page", undefined, u(3)),
      toolUses([{ id: "toolu_order", name: "lookup_order", input: { order_id: "A1" } }], u(4)),
      complete("Order A1 found", { reply: "Your order A1 is on its way." }, u(5)),
    ]);

    const created = await createRun({ agent: "support", input: `Where is my order A1? (${scope})` }, t.key);
    expect(created.priority).toBe("high");
    const run = await waitForRun(created.id, { key: t.key });
    expect(run.status).toBe("succeeded");
    expect(run.output).toEqual({ summary: "Order A1 found", output: { reply: "Your order A1 is on its way." } });
    expect(run.plan.map((s: any) => s.title)).toEqual(["Record the customer", "Look up the order"]);

    const requests = await requestsFor(scope);
    expect(requests.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    const planner = requests[0]!.body as any;
    expect(planner.tool_choice).toEqual({ type: "tool", name: "submit_plan" });
    expect(planner.tools.map((x: any) => x.name)).toEqual(["submit_plan"]);
    expect(planner.system).toContain("customer support agent");
    const stepTools = (requests[1]!.body as any).tools.map((x: any) => x.name);
    expect(stepTools).toEqual(expect.arrayContaining(["memory_set", "http_request", "lookup_order", "complete_step"]));

    // Usage adds up to what the fake reported, call by call.
    expect(run.usage).toEqual({ input_tokens: 515, output_tokens: 65, cache_creation_input_tokens: 0, cache_read_input_tokens: 15 });
    const calls = (await allEvents(created.id, t.key)).filter((e) => e.type === "model.call");
    expect(calls.map((e) => e.data.usage.input_tokens)).toEqual([101, 102, 103, 104, 105]);

    // The fake saw a tool_result for every tool call, none an error.
    const results = toolResults(requests);
    for (const id of ["toolu_mem", "toolu_http", "toolu_order"]) expect(results.get(id)?.is_error, id).toBeFalsy();
    expect(JSON.parse(results.get("toolu_mem")!.content as string)).toEqual({ key: "customer", stored: true });
    const http = JSON.parse(results.get("toolu_http")!.content as string);
    expect(http.status).toBe(200);
    expect(JSON.parse(http.body).path).toBe(`/echo/${scope}/status?order=A1`);
    expect(JSON.parse(results.get("toolu_order")!.content as string)).toMatchObject({ ok: true, received: { order_id: "A1" } });

    // The receiver verified the tenant tool's signature on its own.
    const hooks = (await received(scope)).filter((r) => r.path.startsWith("/hook/"));
    expect(hooks).toHaveLength(1);
    expect(hooks[0]!.verified).toBe(true);
    expect(await env.TENANTS.get(env.TENANTS.idFromName(t.id)).memoryGet("support", "customer")).toEqual({ name: "Ada", tier: "gold" });
  });
});
