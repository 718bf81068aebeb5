// Protocol tests of the fake Messages API, driven by the real Anthropic SDK and plain HTTP.
import Anthropic, { APIConnectionError, AuthenticationError, BadRequestError, OverloadedError } from "@anthropic-ai/sdk";
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from "vitest";
import { FAKE_ANTHROPIC_API_KEY, FAKE_ANTHROPIC_MODEL } from "./anthropic-constants";
import { type FakeAnthropic, type RecordedRequest, startFakeAnthropic } from "./fake-anthropic";

let fake: FakeAnthropic;
let sdk: Anthropic;

beforeAll(async () => {
  fake = await startFakeAnthropic();
  sdk = new Anthropic({ apiKey: FAKE_ANTHROPIC_API_KEY, baseURL: fake.url, maxRetries: 0 });
});
afterAll(() => fake.close());
beforeEach(() => fake.reset());

const ask = (text: string, extra: Partial<Anthropic.Messages.MessageCreateParamsNonStreaming> = {}) =>
  sdk.messages.create({
    model: FAKE_ANTHROPIC_MODEL,
    max_tokens: 256,
    messages: [{ role: "user", content: text }],
    ...extra,
  });

const planTool = {
  name: "submit_plan",
  description: "Submit the plan",
  input_schema: {
    type: "object" as const,
    properties: {
      steps: {
        type: "array",
        minItems: 1,
        items: {
          type: "object",
          properties: { title: { type: "string" }, instructions: { type: "string" } },
          required: ["title", "instructions"],
        },
      },
    },
    required: ["steps"],
  },
};

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error("expected the call to fail");
}

interface ControlAnswer {
  queued?: number;
  ok?: boolean;
  error?: string;
  requests?: RecordedRequest[];
}

async function control(path: string, body?: unknown): Promise<{ status: number; json: ControlAnswer }> {
  const res = await fetch(fake.url + path, body === undefined ? {} : { method: "POST", body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as ControlAnswer };
}

describe("fake Anthropic Messages API", () => {
  it("answers an unscripted call with end_turn text in the real message shape", async () => {
    const message = await ask("hello");
    expect(message).toMatchObject({
      type: "message",
      role: "assistant",
      model: FAKE_ANTHROPIC_MODEL,
      stop_reason: "end_turn",
      stop_sequence: null,
      content: [{ type: "text", text: expect.any(String) }],
      usage: {
        input_tokens: expect.any(Number),
        output_tokens: expect.any(Number),
        cache_read_input_tokens: 0,
      },
    });
    expect(message.id).toMatch(/^msg_/);
    expect(message._request_id).toBe(fake.requests()[0]?.requestId);
  });

  it("answers a forced tool_choice with that tool and a minimal valid input", async () => {
    const message = await ask("plan this", {
      tools: [planTool],
      tool_choice: { type: "tool", name: "submit_plan" },
    });
    expect(message.stop_reason).toBe("tool_use");
    expect(message.content).toEqual([
      {
        type: "tool_use",
        id: expect.stringMatching(/^toolu_/),
        name: "submit_plan",
        input: { steps: [{ title: "", instructions: "" }] },
      },
    ]);
  });

  it("returns scripted content, stop reason and usage, in order, then falls back to the default", async () => {
    fake.script([
      {
        content: [{ type: "tool_use", id: "toolu_1", name: "lookup", input: { q: "x" } }],
        usage: { input_tokens: 11, output_tokens: 3, cache_read_input_tokens: null },
      },
      { content: [{ type: "text", text: "second" }], stop_reason: "max_tokens" },
    ]);
    const first = await ask("one");
    const second = await ask("two");
    const third = await ask("three");
    expect(first.content).toEqual([{ type: "tool_use", id: "toolu_1", name: "lookup", input: { q: "x" } }]);
    expect(first.usage).toMatchObject({ input_tokens: 11, output_tokens: 3, cache_read_input_tokens: null });
    expect(second).toMatchObject({ stop_reason: "max_tokens", content: [{ type: "text", text: "second" }] });
    expect(third.stop_reason).toBe("end_turn");
  });

  it("rejects a wrong key with the real 401 authentication_error envelope", async () => {
    const wrong = new Anthropic({ apiKey: "sk-ant-wrong", baseURL: fake.url, maxRetries: 0 });
    const err = await rejection(
      wrong.messages.create({
        model: FAKE_ANTHROPIC_MODEL,
        max_tokens: 8,
        messages: [{ role: "user", content: "hi" }],
      }),
    );
    expect(err).toBeInstanceOf(AuthenticationError);
    const apiErr = err as AuthenticationError;
    expect(apiErr.type).toBe("authentication_error");
    expect(apiErr.error).toEqual({
      type: "error",
      error: { type: "authentication_error", message: "invalid x-api-key" },
      request_id: apiErr.requestID,
    });
  });

  it("accepts the key as x-api-key and requires it, the version header and JSON", async () => {
    const body = JSON.stringify({ model: "m", max_tokens: 5, messages: [{ role: "user", content: "hi" }] });
    const base = { "content-type": "application/json", "anthropic-version": "2023-06-01" };
    const post = (headers: Record<string, string>, payload = body) =>
      fetch(`${fake.url}/v1/messages`, { method: "POST", headers, body: payload });
    expect((await post({ ...base, "x-api-key": FAKE_ANTHROPIC_API_KEY })).status).toBe(200);
    const missingKey = await post(base);
    expect(missingKey.status).toBe(401);
    expect(missingKey.headers.get("request-id")).toMatch(/^req_/);
    const noVersion = await post({ "content-type": "application/json", "x-api-key": FAKE_ANTHROPIC_API_KEY });
    expect(noVersion.status).toBe(400);
    const notJson = await post({ ...base, "x-api-key": FAKE_ANTHROPIC_API_KEY }, "{not json");
    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toMatchObject({ type: "error", error: { type: "invalid_request_error" } });
  });

  it("rejects malformed requests with invalid_request_error 400", async () => {
    const cases = [
      ask("x", { tools: [planTool], tool_choice: { type: "tool", name: "missing" } }),
      ask("x", { max_tokens: 0 }),
      ask("x", {
        messages: [{ role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_none", content: "r" }] }],
      }),
      ask("x", {
        messages: [
          { role: "user", content: "q" },
          { role: "assistant", content: [{ type: "tool_use", id: "toolu_a", name: "t", input: {} }] },
          { role: "user", content: "no result" },
        ],
      }),
    ];
    for (const err of await Promise.all(cases.map(rejection))) {
      expect(err).toBeInstanceOf(BadRequestError);
      expect((err as BadRequestError).type).toBe("invalid_request_error");
    }
  });

  it("sends a scripted 529 with its retry-after header", async () => {
    fake.script({ status: 529, headers: { "retry-after": "7" } });
    const err = (await rejection(ask("busy?"))) as OverloadedError;
    expect(err).toBeInstanceOf(OverloadedError);
    expect(err.type).toBe("overloaded_error");
    expect(err.headers.get("retry-after")).toBe("7");
  });

  it("drops the connection when scripted to", async () => {
    fake.script({ disconnect: true });
    expect(await rejection(ask("cut"))).toBeInstanceOf(APIConnectionError);
  });

  it("records each request with its headers, body and answer", async () => {
    fake.script({ status: 500 });
    await rejection(ask("recorded", { system: "sys" }));
    const [request] = fake.requests();
    expect(request).toMatchObject({
      method: "POST",
      path: "/v1/messages",
      status: 500,
      body: { model: FAKE_ANTHROPIC_MODEL, system: "sys" },
    });
    expect(request?.headers["anthropic-version"]).toBeTruthy();
    expect(request?.headers["content-type"]).toMatch(/application\/json/);
  });

  it("serves scoped scripts only to the requests that match them", async () => {
    fake.script({ content: [{ type: "text", text: "anyone" }] });
    fake.scriptFor("scope-a", { content: [{ type: "text", text: "for a" }] });
    fake.scriptFor((body) => (body as { metadata?: { user_id?: string } }).metadata?.user_id === "u-b", {
      content: [{ type: "text", text: "for b" }],
    });
    const b = await ask("anything", { metadata: { user_id: "u-b" } });
    const other = await ask("no scope here");
    const a = await ask("input with scope-a inside");
    expect([a, b, other].map((m) => (m.content[0] as Anthropic.Messages.TextBlock).text)).toEqual(["for a", "for b", "anyone"]);
  });

  it("never gives a scoped request an unscoped reply, even after its scope ran dry", async () => {
    fake.scriptFor("scope-c", { status: 529 });
    fake.script({ status: 500 });
    await rejection(ask("scope-c first"));
    const again = await ask("scope-c again");
    expect(again.stop_reason).toBe("end_turn");
    expect(await rejection(ask("unscoped"))).toMatchObject({ status: 500 });
  });
});

describe("fake Anthropic control API", () => {
  it("scripts, lists and resets replies by scope over HTTP", async () => {
    const scripted = await control("/_control/script", {
      scope: "run-42",
      replies: [{ status: 429, headers: { "retry-after": "2" } }],
    });
    expect(scripted).toEqual({ status: 200, json: { queued: 1 } });
    await control("/_control/script", {
      scope: "run-43",
      reply: { content: [{ type: "text", text: "43" }] },
    });
    expect(await rejection(ask("x", { system: "agent for run-42" }))).toMatchObject({ status: 429 });
    expect((await ask("run-43 input")).content).toEqual([{ type: "text", text: "43" }]);

    const listed = await control("/_control/requests?scope=run-42");
    expect(listed.json.requests?.map((r) => r.status)).toEqual([429]);
    expect((await control("/_control/requests")).json.requests).toHaveLength(2);

    expect(await control("/_control/reset", { scope: "run-42" })).toEqual({
      status: 200,
      json: { ok: true },
    });
    expect((await control("/_control/requests")).json.requests).toHaveLength(1);
    await control("/_control/reset", {});
    expect(fake.requests()).toEqual([]);
  });

  it("a request of a reset scope never takes a reply scripted after the reset", async () => {
    fake.scriptFor("scope-gone", { content: [{ type: "text", text: "for the old test" }] });
    fake.reset();
    fake.script({ status: 529 });
    // A late request of the old scope: the default answer, not the new test's 529 nor its old reply.
    expect((await ask("scope-gone, arriving late")).content).not.toEqual([{ type: "text", text: "for the old test" }]);
    expect(await rejection(ask("the new test"))).toMatchObject({ status: 529 });
  });

  it("rejects a control body that is not a list of replies", async () => {
    expect((await control("/_control/script", { replies: "nope" })).status).toBe(400);
    expect((await control("/_control/script", { scope: 7, replies: [] })).status).toBe(400);
  });

  it("is started once for the whole test run and registered as supportUrls.anthropic", async () => {
    const shared = new Anthropic({
      apiKey: FAKE_ANTHROPIC_API_KEY,
      baseURL: inject("supportUrls").anthropic,
      maxRetries: 0,
    });
    const message = await shared.messages.create({
      model: FAKE_ANTHROPIC_MODEL,
      max_tokens: 8,
      messages: [{ role: "user", content: "ping shared" }],
    });
    expect(message.type).toBe("message");
  });
});
