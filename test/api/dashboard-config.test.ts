// GET /dashboard/config: public, and without Supabase sign-in configured it offers none.
import { describe, expect, it } from "vitest";
import { api, json } from "../helpers/api";

describe("GET /dashboard/config", () => {
  it("answers without a credential and, with no Supabase configured, offers only API keys", async () => {
    const res = await api("/dashboard/config", { key: null });
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(await json(res)).toEqual({ supabase: null });
  });
});
