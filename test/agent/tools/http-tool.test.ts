import { describe, expect, it } from "vitest";
import { httpTool } from "../../../src/agent/tools/http-tool";
import { RunFailure } from "../../../src/domain/errors";
import type { HttpTool } from "../../../src/domain/types";
import { echoUrl, received, trustSecret } from "../../helpers/echo";
import { newScope } from "../../helpers/fake-model";
import { memoryServices, toolContext } from "../../helpers/tools";

const SECRET = "whsec_c2lnbmluZy1zZWNyZXQtZm9yLXRlc3Rz";

function define(url: string): HttpTool {
  return {
    name: "lookup_order",
    description: "Look up an order",
    input_schema: { type: "object", properties: { order_id: { type: "string" } }, required: ["order_id"] },
    url,
    requires_approval: false,
  };
}

async function setup(query = "") {
  const scope = newScope("hook");
  await trustSecret(scope, SECRET);
  const tool = httpTool(define(`${echoUrl()}/hook/${scope}/lookup_order${query}`));
  return { scope, tool, ctx: toolContext({}, memoryServices(true, SECRET)) };
}

describe("tenant HTTP tools", () => {
  it("POSTs the input as signed JSON and returns the JSON answer", async () => {
    const { scope, tool, ctx } = await setup();
    const res = await tool.run({ order_id: "A1" }, ctx);
    expect(res).toEqual({ ok: true, value: { ok: true, tool: "lookup_order", received: { order_id: "A1" } } });
    const [got] = await received(scope);
    expect(got?.verified).toBe(true);
    expect(got?.headers["webhook-id"]).toMatch(/^msg_/);
    expect(got?.headers["webhook-signature"]).toMatch(/^v1,/);
    expect(got?.headers["edgecrew-run-id"]).toBe("run_test");
    expect(got?.body).toBe('{"order_id":"A1"}');
  });

  it("is refused by the receiver when signed with another secret", async () => {
    const { scope, tool } = await setup();
    const res = await tool.run({ order_id: "A1" }, toolContext({}, memoryServices(true, "whsec_b3RoZXItc2VjcmV0")));
    expect(res.ok).toBe(false);
    expect((res as { error: string }).error).toContain("HTTP 401");
    expect((await received(scope))[0]?.verified).toBe(false);
  });

  it("an answer over 32 KB is an error for the model, not a crash", async () => {
    const { tool, ctx } = await setup("?big=40000");
    const res = await tool.run({ order_id: "A1" }, ctx);
    expect(res).toEqual({ ok: false, error: expect.stringContaining("more than 32768 bytes") });
  });

  it("a 64 MiB answer is refused after reading past 32 KB, not read whole", async () => {
    const { scope, tool, ctx } = await setup(`?stream=${64 * 1024 * 1024}`);
    const res = await tool.run({ order_id: "A1" }, ctx);
    expect(res).toEqual({ ok: false, error: expect.stringContaining("more than 32768 bytes") });
    // The echo server writes only as fast as the tool reads: it is still far from the end.
    const [got] = await received(scope);
    expect(got?.answer?.complete).toBe(false);
    expect(got?.answer?.bytes).toBeLessThan(64 * 1024 * 1024);
  });

  it("a 307 answer is an error for the model; the signed input never reaches the other host", async () => {
    const elsewhere = newScope("elsewhere");
    const { tool, ctx } = await setup(`?status=307&location=${encodeURIComponent(`${echoUrl()}/echo/${elsewhere}/stolen`)}`);
    const res = await tool.run({ order_id: "A1" }, ctx);
    expect(res).toEqual({ ok: false, error: expect.stringContaining("HTTP 307 (redirect to") });
    expect(await received(elsewhere)).toEqual([]);
  });

  it("a 4xx answer goes to the model; a 5xx answer is transient", async () => {
    const bad = await setup("?status=422");
    expect((await bad.tool.run({ order_id: "A1" }, bad.ctx)).ok).toBe(false);
    const down = await setup("?status=502");
    const err = await down.tool.run({ order_id: "A1" }, down.ctx).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RunFailure);
    expect((err as RunFailure).code).toBe("tool_server_error");
  });

  it("a tool saved under development rules is not called under production rules, whatever form its address takes", async () => {
    const scope = newScope("hook");
    const port = new URL(echoUrl()).port;
    for (const host of ["127.0.0.1", "[::ffff:7f00:1]", "[::7f00:1]", "[64:ff9b::7f00:1]", "2130706433"]) {
      const tool = httpTool(define(`https://${host}:${port}/hook/${scope}/lookup_order`));
      const res = await tool.run({ order_id: "A1" }, toolContext({}, memoryServices(false, SECRET)));
      expect((res as { error: string }).error, host).toContain("is not a public internet host");
    }
    expect(await received(scope)).toEqual([]);
  });

  it("in production refuses an http or loopback URL", async () => {
    const tool = httpTool(define(`${echoUrl()}/hook/x/lookup_order`));
    const res = await tool.run({ order_id: "A1" }, toolContext({}, memoryServices(false, SECRET)));
    expect((res as { error: string }).error).toContain("only https");
  });
});
