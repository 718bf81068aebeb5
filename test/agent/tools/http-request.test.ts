import { describe, expect, it } from "vitest";
import { httpRequestTool } from "../../../src/agent/tools/http-request";
import { schemaErrors } from "../../../src/agent/tools/validate";
import { RunFailure } from "../../../src/domain/errors";
import { echoUrl, received } from "../../helpers/echo";
import { newScope } from "../../helpers/fake-model";
import { memoryServices, toolContext } from "../../helpers/tools";

const tool = httpRequestTool();
const ctx = toolContext({ allowed_hosts: ["127.0.0.1"] });

async function failure(p: Promise<unknown>): Promise<RunFailure> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RunFailure);
  return err as RunFailure;
}

describe("http_request", () => {
  it("sends a request to an allowed host and returns status, headers and body", async () => {
    const scope = newScope("http");
    const res = await tool.run(
      { method: "POST", url: `${echoUrl()}/echo/${scope}?q=1`, headers: { "x-trace": "abc" }, body: { a: 1 } },
      ctx,
    );
    expect(res.ok).toBe(true);
    const value = (res as { value: any }).value;
    expect(value.status).toBe(200);
    expect(value.truncated).toBe(false);
    expect(value.headers["content-type"]).toContain("application/json");
    const echoed = JSON.parse(value.body);
    expect(echoed.method).toBe("POST");
    expect(echoed.body).toBe('{"a":1}');
    const [got] = await received(scope);
    expect(got?.headers["x-trace"]).toBe("abc");
    expect(got?.headers["content-type"]).toBe("application/json");
  });

  it("cuts a large body at 32 KB and flags it", async () => {
    const res = await tool.run({ method: "GET", url: `${echoUrl()}/echo/${newScope()}?bytes=100000` }, ctx);
    const value = (res as { value: any }).value;
    expect(value.truncated).toBe(true);
    expect(value.body).toHaveLength(32 * 1024);
  });

  it("refuses a host outside allowed_hosts, telling the model which hosts are allowed", async () => {
    const res = await tool.run({ method: "GET", url: "https://example.com/" }, ctx);
    expect(res).toEqual({ ok: false, error: expect.stringContaining("not in this agent's allowed_hosts (allowed: 127.0.0.1)") });
    const none = await tool.run({ method: "GET", url: `${echoUrl()}/echo/x` }, toolContext());
    expect(none.ok).toBe(false);
  });

  it("accepts *.suffix host patterns", async () => {
    const res = await tool.run({ method: "GET", url: "http://localhost:1/x" }, toolContext({ allowed_hosts: ["*.example.com"] }));
    expect((res as { error: string }).error).toContain("allowed_hosts");
  });

  it("in production allows only https to public hosts", async () => {
    const prod = toolContext({ allowed_hosts: ["127.0.0.1", "api.example.com"] }, memoryServices(false));
    const http = await tool.run({ method: "GET", url: "http://api.example.com/" }, prod);
    expect((http as { error: string }).error).toContain("only https");
    const loop = await tool.run({ method: "GET", url: "https://127.0.0.1/" }, prod);
    expect((loop as { error: string }).error).toContain("not a public internet host");
  });

  it("validates headers and body", async () => {
    const url = `${echoUrl()}/echo/${newScope()}`;
    expect((await tool.run({ method: "GET", url, headers: { "bad name": "x" } }, ctx)).ok).toBe(false);
    expect((await tool.run({ method: "GET", url, headers: { Host: "evil.example" } }, ctx)).ok).toBe(false);
    expect((await tool.run({ method: "GET", url, headers: { "x-a": "1\r\nx-b: 2" } }, ctx)).ok).toBe(false);
    expect((await tool.run({ method: "GET", url, body: "no" }, ctx)).ok).toBe(false);
    expect((await tool.run({ method: "POST", url, body: "x".repeat(70_000) }, ctx)).ok).toBe(false);
    expect((await tool.run({ method: "GET", url: "not a url" }, ctx)).ok).toBe(false);
    expect(schemaErrors(tool.input_schema, { method: "FETCH", url })).toContain("method");
    expect(schemaErrors(tool.input_schema, { method: "GET" })).toContain("url");
    expect(schemaErrors(tool.input_schema, { method: "GET", url, headers: { a: 1 } })).not.toBeNull();
  });

  it("returns a redirect instead of following it", async () => {
    const res = await tool.run({ method: "GET", url: `${echoUrl()}/echo/${newScope()}?status=302` }, ctx);
    expect((res as { value: any }).value.status).toBe(302);
  });

  it("a 307 to another host is returned to the model and the other host is never called", async () => {
    const elsewhere = newScope("elsewhere");
    const location = encodeURIComponent(`${echoUrl()}/echo/${elsewhere}/stolen`);
    const res = await tool.run(
      { method: "POST", url: `${echoUrl()}/echo/${newScope()}?status=307&location=${location}`, body: { a: 1 } },
      ctx,
    );
    const value = (res as { value: any }).value;
    expect(value.status).toBe(307);
    expect(value.headers.location).toContain(`/echo/${elsewhere}/stolen`);
    expect(await received(elsewhere)).toEqual([]);
  });

  it("stops reading a 64 MiB answer at the 32 KB cut", async () => {
    const scope = newScope("huge");
    const res = await tool.run({ method: "GET", url: `${echoUrl()}/echo/${scope}?bytes=${64 * 1024 * 1024}` }, ctx);
    const value = (res as { value: any }).value;
    expect(value.truncated).toBe(true);
    expect(value.body).toHaveLength(32 * 1024);
    // The echo server writes only as fast as the tool reads: it is still far from the end.
    const [got] = await received(scope);
    expect(got?.answer?.complete).toBe(false);
    expect(got?.answer?.bytes).toBeLessThan(64 * 1024 * 1024);
  });

  it("a 5xx answer is a transient tool_server_error", async () => {
    const err = await failure(tool.run({ method: "GET", url: `${echoUrl()}/echo/${newScope()}?status=503` }, ctx));
    expect(err.code).toBe("tool_server_error");
    expect(err.message).toContain("HTTP 503");
  });

  it("a timeout or a refused connection is a transient network_error", async () => {
    const quick = httpRequestTool({ timeoutMs: 200 });
    const slow = await failure(quick.run({ method: "GET", url: `${echoUrl()}/echo/${newScope()}?delay=1500` }, ctx));
    expect(slow.code).toBe("network_error");
    expect(slow.message).toContain("timed out after 200 ms");
    const refused = await failure(tool.run({ method: "GET", url: "http://127.0.0.1:1/" }, ctx));
    expect(refused.code).toBe("network_error");
  });
});
