// A run keeps the agent it started with: editing the agent afterwards changes nothing for it.
import { describe, expect, it } from "vitest";
import { api, createRun, newTenant, waitForRun } from "../helpers/api";
import { complete, newScope, plan, requestsFor, script } from "../helpers/fake-model";

describe("agent snapshot", () => {
  it("a run uses the agent as it was when the run was created", async () => {
    const t = await newTenant();
    const scope = newScope("snapshot");
    const put = (prompt: string) => api("/v1/agents/writer", { method: "PUT", key: t.key, json: { system_prompt: prompt, max_steps: 2 } });
    expect((await put("You write version one.")).status).toBe(201);
    await script(scope, [{ ...plan(["Write"]), delayMs: 300 }, complete("Written", "text")]);
    const created = await createRun({ agent: "writer", input: `Write something (${scope})` }, t.key);
    expect((await put("You write version two.")).status).toBe(200);
    const run = await waitForRun(created.id, { key: t.key });
    expect(run.status).toBe("succeeded");
    const systems = (await requestsFor(scope)).map((r) => (r.body as { system: string }).system);
    expect(systems).toHaveLength(2);
    for (const s of systems) {
      expect(s).toContain("version one");
      expect(s).not.toContain("version two");
    }
    expect((await requestsFor(scope))[0]!.body).toMatchObject({
      tools: [{ name: "submit_plan", input_schema: { properties: { steps: { maxItems: 2 } } } }],
    });
  });
});
