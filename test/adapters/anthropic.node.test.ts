// The Anthropic ModelClient adapter against the local fake Messages API, through the real SDK:
// request and response mapping, error classification with retry-after, and key redaction.
import { randomUUID } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { anthropicModel } from "../../src/adapters/model/anthropic";
import type { CallContext, ModelClient, ModelRequest } from "../../src/adapters/model/port";
import { type FailureCode, isTransient, RunFailure } from "../../src/domain/errors";
import { FAKE_ANTHROPIC_API_KEY, FAKE_ANTHROPIC_MODEL } from "../support/anthropic-constants";
import { type FakeAnthropic, type FakeBlock, type FakeReply, startFakeAnthropic } from "../support/fake-anthropic";
import { scopeMatches } from "../support/fake-anthropic-protocol";

let fake: FakeAnthropic;
let model: ModelClient;

beforeAll(async () => {
  fake = await startFakeAnthropic();
  model = anthropicModel({ apiKey: FAKE_ANTHROPIC_API_KEY, baseUrl: fake.url, model: FAKE_ANTHROPIC_MODEL });
});
afterAll(() => fake.close());
beforeEach(() => fake.reset());

const ctx: CallContext = { runId: "run_test", step: 1, attempt: 1, call: 0, failedCalls: 0 };

const lookupTool = {
  name: "lookup",
  description: "Looks a word up",
  input_schema: { type: "object", properties: { word: { type: "string" } }, required: ["word"] },
};

function request(overrides: Partial<ModelRequest> = {}): ModelRequest {
  return {
    model: "",
    system: "You are terse.",
    messages: [{ role: "user", content: "hi" }],
    tools: [],
    max_tokens: 128,
    ...overrides,
  };
}

async function failure(client: ModelClient, req = request()): Promise<RunFailure> {
  try {
    await client.createMessage(req, ctx);
  } catch (err) {
    expect(err).toBeInstanceOf(RunFailure);
    return err as RunFailure;
  }
  throw new Error("expected createMessage to fail");
}

describe("anthropic model adapter: mapping", () => {
  it("sends system, messages, tools, tool_choice and max_tokens as given", async () => {
    const req = request({
      model: "claude-agent-model",
      messages: [
        { role: "user", content: "define edge" },
        {
          role: "assistant",
          content: [
            { type: "text", text: "Looking." },
            { type: "tool_use", id: "toolu_9", name: "lookup", input: { word: "edge" } },
          ],
        },
        {
          role: "user",
          content: [{ type: "tool_result", tool_use_id: "toolu_9", content: '{"found":false}', is_error: true }],
        },
      ],
      tools: [lookupTool],
      tool_choice: { type: "any" },
      max_tokens: 321,
    });
    await model.createMessage(req, ctx);
    const [sent] = fake.requests();
    expect(sent?.body).toEqual({
      model: "claude-agent-model",
      system: "You are terse.",
      messages: req.messages,
      tools: [lookupTool],
      tool_choice: { type: "any" },
      max_tokens: 321,
    });
  });

  it("uses the configured model when the request names none, and leaves out empty tools", async () => {
    await model.createMessage(request({ system: "" }), ctx);
    const body = fake.requests()[0]?.body as Record<string, unknown>;
    expect(body.model).toBe(FAKE_ANTHROPIC_MODEL);
    expect(body).not.toHaveProperty("tools");
    expect(body).not.toHaveProperty("system");
  });

  it("returns text and tool_use blocks, the stop reason, the model and all usage counts", async () => {
    fake.script({
      content: [
        { type: "text", text: "Calling." },
        { type: "tool_use", id: "toolu_1", name: "lookup", input: { word: "x" } },
      ],
      model: "claude-served",
      usage: {
        input_tokens: 120,
        output_tokens: 30,
        cache_creation_input_tokens: 7,
        cache_read_input_tokens: 5,
      },
    });
    const response = await model.createMessage(request({ tools: [lookupTool] }), ctx);
    expect(response).toEqual({
      content: [
        { type: "text", text: "Calling." },
        { type: "tool_use", id: "toolu_1", name: "lookup", input: { word: "x" } },
      ],
      stop_reason: "tool_use",
      model: "claude-served",
      usage: {
        input_tokens: 120,
        output_tokens: 30,
        cache_creation_input_tokens: 7,
        cache_read_input_tokens: 5,
      },
    });
  });

  it("reports null cache counts as 0", async () => {
    fake.script({
      content: [{ type: "text", text: "ok" }],
      usage: {
        input_tokens: 9,
        output_tokens: 2,
        cache_creation_input_tokens: null,
        cache_read_input_tokens: null,
      },
    });
    const { usage } = await model.createMessage(request(), ctx);
    expect(usage).toEqual({
      input_tokens: 9,
      output_tokens: 2,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
    });
  });

  it("fails with model_protocol_error on a content block it cannot represent", async () => {
    fake.script({ content: [{ type: "thinking", thinking: "hm" } as unknown as FakeBlock] });
    expect((await failure(model)).code).toBe("model_protocol_error");
  });
});

const inTenSeconds = () => new Date(Date.now() + 10_000).toUTCString();

const errorCases: {
  name: string;
  reply: FakeReply;
  code: FailureCode;
  retryAfterMs?: number | "about 10s";
}[] = [
  {
    name: "429",
    reply: { status: 429, headers: { "retry-after": "3" } },
    code: "model_rate_limited",
    retryAfterMs: 3000,
  },
  {
    name: "529",
    reply: { status: 529, headers: { "retry-after-ms": "1500" } },
    code: "model_overloaded",
    retryAfterMs: 1500,
  },
  {
    name: "500 overloaded_error",
    reply: { status: 500, type: "overloaded_error" },
    code: "model_overloaded",
  },
  { name: "500", reply: { status: 500 }, code: "model_server_error" },
  {
    name: "503 with an HTTP date",
    reply: { status: 503, headers: { "retry-after": "DATE" } },
    code: "model_server_error",
    retryAfterMs: "about 10s",
  },
  { name: "504 timeout_error", reply: { status: 504 }, code: "model_timeout" },
  { name: "400", reply: { status: 400, headers: { "retry-after": "5" } }, code: "model_bad_request" },
  { name: "401", reply: { status: 401 }, code: "model_unauthorized" },
  { name: "403", reply: { status: 403 }, code: "model_forbidden" },
  { name: "404", reply: { status: 404, message: "model: nope" }, code: "model_not_found" },
  { name: "413", reply: { status: 413 }, code: "model_payload_too_large" },
];

describe("anthropic model adapter: errors", () => {
  it.each(errorCases)("classifies $name as $code", async ({ reply, code, retryAfterMs }) => {
    const headers = "headers" in reply && reply.headers?.["retry-after"] === "DATE" ? { "retry-after": inTenSeconds() } : undefined;
    fake.script(headers ? { ...reply, headers } : reply);
    const err = await failure(model);
    expect(err.code).toBe(code);
    if (retryAfterMs === "about 10s") {
      expect(err.retryAfterMs).toBeGreaterThan(8_000);
      expect(err.retryAfterMs).toBeLessThanOrEqual(10_000);
    } else {
      expect(err.retryAfterMs).toBe(retryAfterMs);
    }
    // The SDK's own retries are off: one call, one request.
    expect(fake.requests()).toHaveLength(1);
  });

  it("tells how to fix a rejected key, from the server's real 401", async () => {
    const wrongKey = "sk-ant-api03-revoked-key-1234";
    const client = anthropicModel({ apiKey: wrongKey, baseUrl: fake.url, model: FAKE_ANTHROPIC_MODEL });
    const err = await failure(client);
    expect(err.code).toBe("model_unauthorized");
    expect(isTransient(err.code)).toBe(false);
    expect(err.message).toContain("ANTHROPIC_API_KEY");
    expect(err.message).toContain("wrangler secret put ANTHROPIC_API_KEY");
    expect(err.message).not.toContain(wrongKey);
  });

  it("names the model and the setting to fix on a 404", async () => {
    fake.script({ status: 404, message: "model: claude-missing" });
    const err = await failure(model, request({ model: "claude-missing" }));
    expect(err.message).toContain('"claude-missing"');
    expect(err.message).toContain("ANTHROPIC_MODEL");
  });

  it("classifies a response slower than timeoutMs as model_timeout", async () => {
    const impatient = anthropicModel({
      apiKey: FAKE_ANTHROPIC_API_KEY,
      baseUrl: fake.url,
      model: FAKE_ANTHROPIC_MODEL,
      timeoutMs: 150,
    });
    // Scoped: under load the request may reach the fake only after the client gave up, even after
    // this test ended; it must then neither take another test's reply nor count as theirs.
    const scope = `timeout-${randomUUID()}`;
    fake.scriptFor(scope, { content: [{ type: "text", text: "late" }], delayMs: 2_000 });
    const err = await failure(impatient, request({ system: `You are terse. ${scope}` }));
    expect(err.code).toBe("model_timeout");
    // Whether or not it arrived in time, the call was not retried (retries are the run's business).
    expect(fake.requests().filter((r) => scopeMatches(scope, r.body)).length).toBeLessThanOrEqual(1);
  });

  it("classifies a dropped connection and a closed port as network_error", async () => {
    fake.script({ disconnect: true });
    expect((await failure(model)).code).toBe("network_error");

    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const unreachable = anthropicModel({
      apiKey: FAKE_ANTHROPIC_API_KEY,
      baseUrl: `http://127.0.0.1:${port}`,
      model: FAKE_ANTHROPIC_MODEL,
    });
    const err = await failure(unreachable);
    expect(err.code).toBe("network_error");
    expect(isTransient(err.code)).toBe(true);
  });
});

describe("anthropic model adapter: the key never leaks", () => {
  it.each([400, 401, 403, 404, 413, 429, 500, 529])("not even when a %i echoes it back", async (status) => {
    fake.script({ status, message: `key ${FAKE_ANTHROPIC_API_KEY} and again:${FAKE_ANTHROPIC_API_KEY}` });
    const err = await failure(model);
    expect(err.message).not.toContain(FAKE_ANTHROPIC_API_KEY);
    expect(err.message).not.toContain("sk-ant-api03");
    expect(String(err.stack)).not.toContain(FAKE_ANTHROPIC_API_KEY);
  });

  it("not when the key does not look like an Anthropic key", async () => {
    const plainKey = "plain-local-secret-42";
    const server = await startFakeAnthropic({ apiKey: plainKey });
    try {
      server.script({ status: 400, message: `bad header x-api-key=${plainKey}` });
      const err = await failure(anthropicModel({ apiKey: plainKey, baseUrl: server.url, model: FAKE_ANTHROPIC_MODEL }));
      expect(err.code).toBe("model_bad_request");
      expect(err.message).toContain("x-api-key=[redacted]");
      expect(err.message).not.toContain(plainKey);
    } finally {
      await server.close();
    }
  });
});
