// GET /readyz with nothing external configured: ready, every port on its embedded adapter.
import { describe, expect, it } from "vitest";
import { api, json } from "../helpers/api";

describe("GET /readyz (embedded adapters)", () => {
  it("answers 200 without auth and names the adapter of each port", async () => {
    const res = await api("/readyz", { key: null });
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({
      ok: true,
      adapters: { model: "scripted", heartbeats: "durable", scheduler: "durable", ledger: "durable", archive: "durable", auth: "api_keys" },
    });
  });

  it("the QStash delivery route does not exist without QStash", async () => {
    const res = await api("/internal/qstash/deliver", { method: "POST", key: null, json: {} });
    expect(res.status).toBe(404);
  });
});
