// The OpenAPI document: served without auth, identical to the committed openapi.json, and
// describing every route the Worker routes, each with its security and error responses.
import { describe, expect, it } from "vitest";
import committed from "../../openapi.json";
import { app } from "../../src/api/app";
import { api, json } from "../helpers/api";
import { checkContract } from "../helpers/contract";

type Operation = {
  operationId?: string;
  security?: unknown[];
  responses: Record<string, { content?: Record<string, { schema?: { $ref?: string } }> }>;
};
type Doc = { openapi: string; paths: Record<string, Record<string, Operation>> };

/** A Hono route path as an OpenAPI path template: `/:id/files/:path{.+}` → `/{id}/files/{path}`. */
const template = (path: string) => path.replace(/:([A-Za-z0-9_]+)(\{[^/]*\})?/g, "{$1}");

describe("GET /openapi.json", () => {
  it("answers without credentials an OpenAPI 3.1 document equal to the committed openapi.json", async () => {
    const res = await api("/openapi.json", { key: null });
    expect(res.status).toBe(200);
    const served = await json<Doc>(res);
    expect(served.openapi).toBe("3.1.0");
    // On a difference: run `npm run openapi` and commit openapi.json.
    expect(served).toEqual(committed);
  });

  it("describes every route the Worker routes", () => {
    const doc = committed as unknown as Doc;
    const routed = app.routes.filter((r) => r.method !== "ALL").map((r) => `${r.method.toLowerCase()} ${template(r.path)}`);
    const described = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m} ${path}`));
    expect(routed.length).toBeGreaterThan(25);
    expect(routed.filter((r) => !described.includes(r))).toEqual([]);
    expect(described.filter((d) => !routed.includes(d))).toEqual([]);
  });

  it("names every operation once (generated clients call operations by these names)", () => {
    const doc = committed as unknown as Doc;
    const ids = Object.values(doc.paths).flatMap((ops) => Object.values(ops).map((op) => op.operationId));
    expect(ids.every((id) => typeof id === "string" && /^[a-z][A-Za-z]+$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("gives every operation its security and its error responses in the error envelope", () => {
    const doc = committed as unknown as Doc;
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const where = `${method} ${path}`;
        expect(op.security, where).toBeDefined();
        const open = ["/healthz", "/readyz", "/openapi.json", "/internal/qstash/deliver"].includes(path);
        expect(op.security!.length === 0, where).toBe(open);
        expect(Object.keys(op.responses), where).toContain("500");
        for (const [status, response] of Object.entries(op.responses)) {
          if (Number(status) < 400) continue;
          expect(response.content?.["application/json"]?.schema?.$ref, `${where} ${status}`).toMatch(/^#\/components\/schemas\/\w+Error$/);
        }
        if (path.startsWith("/v1/") && !path.startsWith("/v1/admin/")) {
          expect(Object.keys(op.responses), where).toEqual(expect.arrayContaining(["401", "429"]));
        }
      }
    }
  });
});

describe("the contract check every api() call makes", () => {
  const url = "http://edgecrew.test/v1/credits";
  const answer = (status: number, body: unknown) => Response.json(body, { status });

  it("accepts an answer the document describes", async () => {
    await expect(checkContract("GET", url, answer(200, { available: 5, reserved: 0, spent_total: 1 }))).resolves.toBeUndefined();
    await expect(checkContract("GET", url, answer(401, { error: { code: "unauthorized", message: "no key" } }))).resolves.toBeUndefined();
  });

  it("refuses a body that does not match the schema of its status", async () => {
    await expect(checkContract("GET", url, answer(200, { available: "5", reserved: 0, spent_total: 1 }))).rejects.toThrow(/available/);
    await expect(checkContract("GET", url, answer(401, { error: { code: "not_found", message: "x" } }))).rejects.toThrow(/does not match/);
  });

  it("refuses a status the operation does not list", async () => {
    await expect(checkContract("GET", url, answer(409, { error: { code: "conflict", message: "x" } }))).rejects.toThrow(
      /no response with this status/,
    );
  });
});
