// JSON that reaches a run from elsewhere than the request body is depth-bounded too: a model's
// tool input and a tenant HTTP tool's answer nested past the limit are refused with a clear error,
// never walked until the stack runs out.
import { describe, expect, it } from "vitest";
import { httpTool } from "../../src/agent/tools/http-tool";
import { MAX_JSON_DEPTH } from "../../src/domain/json-depth";
import { createRun, newTenant, waitForRun } from "../helpers/api";
import { echoUrl, trustSecret } from "../helpers/echo";
import { newScope } from "../helpers/fake-model";
import { memoryServices, toolContext } from "../helpers/tools";

const nested = (levels: number) => `${"[".repeat(levels)}${"]".repeat(levels)}`;

describe("a model's tool input nested past the limit", () => {
  it("a tool input nested 30,000 deep fails the run with model_protocol_error, charging the call", async () => {
    const t = await newTenant(1000);
    // The scripted model calls emit_event with the JSON written after the tool name.
    const input = `- publish !tool emit_event {"type":"deep","data":${nested(30_000)}}`;
    expect(input.length).toBeGreaterThan(60_000);
    const run = await createRun({ agent: "general", input }, t.key);
    const done = await waitForRun(run.id, { key: t.key });
    expect(done.status).toBe("failed");
    expect(done.error).toEqual({
      code: "model_protocol_error",
      message: `the model's emit_event tool input nests arrays or objects deeper than ${MAX_JSON_DEPTH} levels`,
      retryable: false,
    });
    expect(done.steps[0].attempts).toBe(1);
    // The plan call and the step's one model call were charged; the rest went back.
    expect(done.credits.spent).toBeGreaterThan(0);
  });

  it("a tool input nested to the limit is carried out", async () => {
    const t = await newTenant(1000);
    // emit_event's input is level 1, `data` level 2: MAX_JSON_DEPTH - 2 more levels inside it.
    const input = `- publish !tool emit_event {"type":"deep","data":{"d":${nested(MAX_JSON_DEPTH - 2)}}}`;
    const done = await waitForRun((await createRun({ agent: "general", input }, t.key)).id, { key: t.key });
    expect(done.status).toBe("succeeded");
  });
});

describe("a tenant HTTP tool's answer nested past the limit", () => {
  it("is an error for the model, not a crash", async () => {
    const scope = newScope("hook");
    const secret = "whsec_c2lnbmluZy1zZWNyZXQtZm9yLXRlc3Rz";
    await trustSecret(scope, secret);
    const tool = httpTool({
      name: "lookup_order",
      description: "Look up an order",
      input_schema: { type: "object" },
      url: `${echoUrl()}/hook/${scope}/lookup_order?deep=15000`,
      requires_approval: false,
    });
    const res = await tool.run({ order_id: "A1" }, toolContext({}, memoryServices(true, secret)));
    expect(res).toEqual({
      ok: false,
      error: `tool lookup_order answered JSON nested deeper than ${MAX_JSON_DEPTH} levels; its answer was discarded`,
    });
  });
});
