// Request bodies at the edge: JSON nested past the depth limit is refused on every route that
// takes a body, before anything runs, and a chunked body over 128 KB is not read to its end.

import { exports } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { MAX_JSON_DEPTH } from "../../src/domain/json-depth";
import { ADMIN, api, BASE, DEV_KEY, json, newTenant } from "../helpers/api";

let t: { id: string; key: string; keyId: string };
beforeEach(async () => {
  t = await newTenant(1000);
});

/** `levels` arrays nested inside one another: `[[[...]]]`, two bytes a level. */
const nested = (levels: number) => `${"[".repeat(levels)}${"]".repeat(levels)}`;

/** A 40 KB body nested 20,000 deep inside an otherwise plausible one: `prefix`, the nest, closers. */
const deepBody = (prefix: string) => `${prefix}${nested(20_000)}${"}".repeat(prefix.split("{").length - 1)}`;

async function expectNothingCreated() {
  expect((await json(api("/v1/runs", { key: t.key }))).runs).toEqual([]);
  expect(await json(api("/v1/credits", { key: t.key }))).toEqual({ available: 1000, reserved: 0, spent_total: 0 });
  expect((await json(api("/v1/agents", { key: t.key }))).agents.map((a: { name: string }) => a.name)).not.toContain("deep");
  // Only the audit events of the tenant's creation.
  const events = (await json(api("/v1/events", { key: t.key }))).events;
  expect(events.map((e: { data: { action: string } }) => e.data.action)).toEqual(["tenant.created", "key.created"]);
  // No tenant was made from the deep admin body either.
  expect((await api(`/v1/admin/tenants/${t.id}-deep/keys`, { method: "POST", key: ADMIN })).status).toBe(404);
}

describe("JSON nested past the depth limit", () => {
  const routes: Array<{ name: string; method: string; path: () => string; body: () => string; key: () => string }> = [
    {
      name: "POST /v1/runs",
      method: "POST",
      path: () => "/v1/runs",
      body: () => deepBody('{"agent":"general","input":{"x":'),
      key: () => t.key,
    },
    {
      name: "PUT /v1/agents/:name",
      method: "PUT",
      path: () => "/v1/agents/deep",
      body: () => deepBody('{"system_prompt":"x","deep":'),
      key: () => t.key,
    },
    {
      name: "POST /v1/approvals/:id",
      method: "POST",
      path: () => "/v1/approvals/apr_000000000000000000000_1",
      body: () => deepBody('{"decision":"approve","input":'),
      key: () => t.key,
    },
    {
      name: "PUT /v1/webhooks",
      method: "PUT",
      path: () => "/v1/webhooks",
      body: () => deepBody('{"url":"https://example.com/h","events":'),
      key: () => t.key,
    },
    { name: "POST /v1/dlq/redrive", method: "POST", path: () => "/v1/dlq/redrive", body: () => deepBody('{"ids":'), key: () => t.key },
    {
      name: "POST /v1/admin/tenants",
      method: "POST",
      path: () => "/v1/admin/tenants",
      body: () => deepBody(`{"id":"${t.id}-deep","name":"Deep","x":`),
      key: () => ADMIN,
    },
    {
      name: "POST /v1/admin/tenants/:id/credits",
      method: "POST",
      path: () => `/v1/admin/tenants/${t.id}/credits`,
      body: () => deepBody('{"amount":5,"x":'),
      key: () => ADMIN,
    },
  ];

  it.each(routes)("a body nested 20,000 deep answers 400 invalid_request: $name", async (route) => {
    const text = route.body();
    expect(text.length).toBeGreaterThan(40_000);
    const res = await api(route.path(), {
      method: route.method,
      body: text,
      headers: { "content-type": "application/json" },
      key: route.key(),
    });
    expect(res.status).toBe(400);
    const body = await json(res);
    expect(body.error.code).toBe("invalid_request");
    expect(body.error.message).toBe(`the body nests arrays or objects deeper than ${MAX_JSON_DEPTH} levels`);
    expect(body.error.details).toEqual({ max_depth: MAX_JSON_DEPTH });
    await expectNothingCreated();
  });

  it("metadata nested exactly to the limit is accepted; one level more answers 400", async () => {
    // The body is level 1 and metadata level 2: MAX_JSON_DEPTH - 2 more levels inside it.
    const at = `{"agent":"general","input":"x","metadata":{"m":${nested(MAX_JSON_DEPTH - 2)}}}`;
    const over = `{"agent":"general","input":"x","metadata":{"m":${nested(MAX_JSON_DEPTH - 1)}}}`;
    const headers = { "content-type": "application/json" };
    const refused = await api("/v1/runs", { method: "POST", body: over, headers, key: t.key });
    expect(refused.status).toBe(400);
    expect((await json(refused)).error.details).toEqual({ max_depth: MAX_JSON_DEPTH });
    const accepted = await api("/v1/runs", { method: "POST", body: at, headers, key: t.key });
    expect(accepted.status).toBe(202);
    const run = await json(api(`/v1/runs/${(await json(accepted)).id}`, { key: t.key }));
    expect(JSON.stringify(run.metadata)).toBe(`{"m":${nested(MAX_JSON_DEPTH - 2)}}`);
  });

  it("brackets inside strings do not count as nesting", async () => {
    const res = await api("/v1/runs", { method: "POST", json: { agent: "general", input: `[{"\\"${"[".repeat(5000)}` }, key: t.key });
    expect(res.status).toBe(202);
  });
});

describe("a body without Content-Length", () => {
  it("a chunked body over 128 KB answers 413 and is read no further than the limit", async () => {
    const CHUNK = 16 * 1024;
    const TOTAL = 8 * 1024 * 1024;
    let pulled = 0;
    let cancelled = false;
    const chunk = new TextEncoder().encode(" ".repeat(CHUNK));
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (pulled >= TOTAL) return controller.close();
        pulled += CHUNK;
        controller.enqueue(chunk);
      },
      cancel() {
        cancelled = true;
      },
    });
    const req = new Request(`${BASE}/v1/runs`, {
      method: "POST",
      body: stream,
      headers: { "content-type": "application/json", authorization: `Bearer ${DEV_KEY}` },
    });
    expect(req.headers.has("content-length")).toBe(false);
    const res = await exports.default.fetch(req);
    expect(res.status).toBe(413);
    expect((await json(res)).error).toEqual({ code: "payload_too_large", message: "request body is over 131072 bytes" });
    // Stopped at the limit: far less than the 8 MB on offer, and the stream was cancelled.
    expect(pulled).toBeLessThan(1024 * 1024);
    expect(cancelled).toBe(true);
  });

  it("a chunked body under the limit is read whole and accepted", async () => {
    const text = JSON.stringify({ agent: "general", input: "chunked", metadata: { pad: "p".repeat(3000) } });
    const bytes = new TextEncoder().encode(text);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < bytes.length; i += 1000) controller.enqueue(bytes.slice(i, i + 1000));
        controller.close();
      },
    });
    const res = await exports.default.fetch(
      new Request(`${BASE}/v1/runs`, {
        method: "POST",
        body: stream,
        headers: { "content-type": "application/json", authorization: `Bearer ${t.key}` },
      }),
    );
    expect(res.status).toBe(202);
    const run = await json(api(`/v1/runs/${(await json(res)).id}`, { key: t.key }));
    expect(run.input).toBe("chunked");
  });
});
