import { beforeEach, describe, expect, it } from "vitest";
import { ADMIN, api, createRun, json, newTenant, waitForRun } from "../helpers/api";

let t: { id: string; key: string; keyId: string };
beforeEach(async () => {
  t = await newTenant(1000);
});

async function expectNothingCreated() {
  const list = await json(api("/v1/runs", { key: t.key }));
  expect(list.runs).toEqual([]);
  const credits = await json(api("/v1/credits", { key: t.key }));
  expect(credits).toEqual({ available: 1000, reserved: 0, spent_total: 0 });
}

async function expectError(res: Response, status: number, code: string): Promise<any> {
  expect(res.status).toBe(status);
  const body = await res.json<any>();
  expect(body.error.code).toBe(code);
  expect(typeof body.error.message).toBe("string");
  return body;
}

const post = (body: string, headers: Record<string, string> = { "content-type": "application/json" }) =>
  api("/v1/runs", { method: "POST", body, headers, key: t.key });

describe("bad input to POST /v1/runs gets a clear error and creates nothing", () => {
  it("malformed JSON → 400 invalid_request", async () => {
    const b = await expectError(await post("{not json"), 400, "invalid_request");
    expect(b.error.message).toMatch(/malformed JSON/);
    await expectNothingCreated();
  });

  it("wrong content type → 415 unsupported_media_type", async () => {
    await expectError(
      await post(JSON.stringify({ agent: "general", input: "x" }), { "content-type": "text/plain" }),
      415,
      "unsupported_media_type",
    );
    await expectNothingCreated();
  });

  it("unknown agent → 400 naming the field", async () => {
    const b = await expectError(await post(JSON.stringify({ agent: "nobody", input: "x" })), 400, "invalid_request");
    expect(b.error.message).toMatch(/^agent/);
    await expectNothingCreated();
  });

  it("bad priority → 400 naming the field", async () => {
    const b = await expectError(await post(JSON.stringify({ agent: "general", input: "x", priority: "urgent" })), 400, "invalid_request");
    expect(b.error.details.field).toBe("priority");
    await expectNothingCreated();
  });

  it("input over 64 KB → 413 payload_too_large", async () => {
    await expectError(await post(JSON.stringify({ agent: "general", input: "x".repeat(65 * 1024) })), 413, "payload_too_large");
    await expectNothingCreated();
  });

  it("body over 128 KB → 413 payload_too_large", async () => {
    const big = JSON.stringify({ agent: "general", input: "x", metadata: { pad: "y".repeat(130 * 1024) } });
    await expectError(await post(big), 413, "payload_too_large");
    await expectNothingCreated();
  });

  it("metadata over 4 KB → 400 naming the field", async () => {
    const b = await expectError(
      await post(JSON.stringify({ agent: "general", input: "x", metadata: { pad: "y".repeat(5000) } })),
      400,
      "invalid_request",
    );
    expect(b.error.details.field).toBe("metadata");
    await expectNothingCreated();
  });

  it("missing input and unknown fields → 400 naming the field", async () => {
    expect((await expectError(await post(JSON.stringify({ agent: "general" })), 400, "invalid_request")).error.details.field).toBe("input");
    expect(
      (await expectError(await post(JSON.stringify({ agent: "general", input: "x", colour: 1 })), 400, "invalid_request")).error.details
        .field,
    ).toBe("colour");
    await expectNothingCreated();
  });

  it("a missing or revoked key → 401 unauthorized", async () => {
    await expectError(await api("/v1/runs", { method: "POST", json: { agent: "general", input: "x" }, key: null }), 401, "unauthorized");
    await expectError(
      await api("/v1/runs", { method: "POST", json: { agent: "general", input: "x" }, key: `ec_${t.id}_forged` }),
      401,
      "unauthorized",
    );
    const del = await api(`/v1/admin/tenants/${t.id}/keys/${t.keyId}`, { method: "DELETE", key: ADMIN });
    expect(del.status).toBe(200);
    await expectError(await api("/v1/runs", { method: "POST", json: { agent: "general", input: "x" }, key: t.key }), 401, "unauthorized");
  });
});

describe("bad input to the other run routes", () => {
  it("limit out of range → 400", async () => {
    await expectError(await api("/v1/runs?limit=0", { key: t.key }), 400, "invalid_request");
    await expectError(await api("/v1/runs?limit=101", { key: t.key }), 400, "invalid_request");
    await expectError(await api("/v1/runs?status=sleeping", { key: t.key }), 400, "invalid_request");
  });

  it("unknown run id and a run of another tenant → 404, on every route", async () => {
    const other = await createRun({ agent: "general", input: "mine" });
    await waitForRun(other.id);
    for (const id of ["run_doesnotexist000000000", other.id, "bogus"]) {
      await expectError(await api(`/v1/runs/${id}`, { key: t.key }), 404, "not_found");
      await expectError(await api(`/v1/runs/${id}/logs`, { key: t.key }), 404, "not_found");
      await expectError(await api(`/v1/runs/${id}/cancel`, { method: "POST", key: t.key }), 404, "not_found");
      await expectError(await api(`/v1/runs/${id}/stream-ticket`, { method: "POST", key: t.key }), 404, "not_found");
      await expectError(await api(`/v1/runs/${id}/logs`, { key: t.key, headers: { accept: "text/event-stream" } }), 404, "not_found");
    }
    await expectNothingCreated();
  });

  it("an unknown route → 404 with the envelope", async () => {
    await expectError(await api("/v1/nothing", { key: t.key }), 404, "not_found");
  });
});

describe("health", () => {
  it("healthz needs no auth", async () => {
    const res = await api("/healthz", { key: null });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
  });
});
