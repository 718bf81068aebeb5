// Tool problems the model can recover from: each goes back as a tool_result with is_error and the
// run carries on to success.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, createRun, newTenant, waitForRun } from "../helpers/api";
import { echoUrl, received, trustSecret } from "../helpers/echo";
import { complete, newScope, plan, requestsFor, script, toolResults, toolUses } from "../helpers/fake-model";

async function runWithOneToolCall(call: { name: string; input: unknown }, agent?: (scope: string) => Record<string, unknown>) {
  const t = await newTenant();
  const scope = newScope("toolerr");
  if (agent) {
    await trustSecret(scope, await env.TENANTS.get(env.TENANTS.idFromName(t.id)).signingSecret());
    const put = await api("/v1/agents/helper", { method: "PUT", key: t.key, json: agent(scope) });
    expect(put.status).toBe(201);
  }
  await script(scope, [plan(["Try the tool"]), toolUses([{ id: "toolu_try", ...call }]), complete("Reported the tool failure", "ok")]);
  const created = await createRun({ agent: agent ? "helper" : "support", input: `Use the tool (${scope})` }, t.key);
  const run = await waitForRun(created.id, { key: t.key });
  const result = toolResults(await requestsFor(scope)).get("toolu_try");
  return { run, result, scope };
}

describe("tool errors leave the run alive and the model informed", () => {
  it("a host outside allowed_hosts", async () => {
    const { run, result } = await runWithOneToolCall({ name: "http_request", input: { method: "GET", url: "https://example.com/" } });
    expect(run.status).toBe("succeeded");
    expect(result?.is_error).toBe(true);
    expect(result?.content).toContain("not in this agent's allowed_hosts");
  });

  it("an oversized tool response", async () => {
    const { run, result, scope } = await runWithOneToolCall({ name: "big_report", input: { day: "monday" } }, (s) => ({
      system_prompt: "You fetch reports.",
      http_tools: [
        {
          name: "big_report",
          description: "Fetch the day's report",
          input_schema: { type: "object", properties: { day: { type: "string" } }, required: ["day"] },
          url: `${echoUrl()}/hook/${s}/big_report?big=50000`,
        },
      ],
    }));
    expect(run.status).toBe("succeeded");
    expect(result?.is_error).toBe(true);
    expect(result?.content).toContain("more than 32768 bytes");
    expect((await received(scope))[0]?.verified).toBe(true);
  });

  it("a tool input that violates the tool's schema", async () => {
    const { run, result } = await runWithOneToolCall({ name: "memory_set", input: { key: 42 } });
    expect(run.status).toBe("succeeded");
    expect(result?.is_error).toBe(true);
    expect(result?.content).toContain("invalid input for memory_set");
  });
});
