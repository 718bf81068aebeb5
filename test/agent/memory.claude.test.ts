// Agent memory lasts across runs of the same agent and tenant, and no other tenant can read it.
import { describe, expect, it } from "vitest";
import { createRun, newTenant, waitForRun } from "../helpers/api";
import { complete, newScope, plan, requestsFor, script, toolResults, toolUses } from "../helpers/fake-model";

async function run(key: string, call: { name: string; input: unknown }): Promise<{ content: unknown; is_error?: boolean } | undefined> {
  const scope = newScope("memory");
  await script(scope, [plan(["Use memory"]), toolUses([{ id: "toolu_mem", ...call }]), complete("Done")]);
  const created = await createRun({ agent: "support", input: `Remember things (${scope})` }, key);
  const done = await waitForRun(created.id, { key });
  expect(done.status).toBe("succeeded");
  return toolResults(await requestsFor(scope)).get("toolu_mem");
}

describe("agent memory across runs", () => {
  it("is read by the next run of the same agent and tenant and is invisible to another tenant", async () => {
    const a = await newTenant();
    const b = await newTenant();
    const set = await run(a.key, { name: "memory_set", input: { key: "preferred_channel", value: "email" } });
    expect(set?.is_error).toBeFalsy();
    const again = await run(a.key, { name: "memory_get", input: { key: "preferred_channel" } });
    expect(JSON.parse(again!.content as string)).toEqual({ key: "preferred_channel", found: true, value: "email" });
    const other = await run(b.key, { name: "memory_get", input: { key: "preferred_channel" } });
    expect(JSON.parse(other!.content as string)).toEqual({ key: "preferred_channel", found: false, value: null });
  });
});
