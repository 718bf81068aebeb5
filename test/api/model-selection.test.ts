// Which model runs use: in production the offline scripted model only on MODEL_PROVIDER=scripted;
// without a key /readyz and run creation answer 503 naming what is missing, and nothing is
// created or reserved. The end-to-end checks run the Worker with production settings.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { app } from "../../src/api/app";
import { modelSelection } from "../../src/deps";
import { api, BASE, json, newTenant } from "../helpers/api";

/** The Worker's settings with the given overrides (a fresh object: configuration is read anew). */
const withVars = (vars: Record<string, string>) => ({ ...env, ...vars }) as Env;
/** Production as wrangler.toml deploys it: ENVIRONMENT=production, MODEL_PROVIDER empty, no key. */
const PRODUCTION = { ENVIRONMENT: "production", MODEL_PROVIDER: "", ANTHROPIC_API_KEY: "" };

async function call(target: Env, path: string, init: RequestInit = {}): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await app.fetch(new Request(`${BASE}${path}`, init), target, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

describe("modelSelection", () => {
  it("production without a key and without MODEL_PROVIDER has no model, naming both ways out", () => {
    for (const vars of [PRODUCTION, { ENVIRONMENT: "", MODEL_PROVIDER: "", ANTHROPIC_API_KEY: "" }]) {
      const sel = modelSelection(withVars(vars));
      expect(sel.ok).toBe(false);
      if (sel.ok) continue;
      expect(sel.problem).toContain("ANTHROPIC_API_KEY");
      expect(sel.fix).toContain("ANTHROPIC_API_KEY");
      expect(sel.fix).toContain("MODEL_PROVIDER=scripted");
    }
  });

  it("production uses the scripted model only when MODEL_PROVIDER=scripted says so", () => {
    expect(modelSelection(withVars({ ...PRODUCTION, MODEL_PROVIDER: "scripted" }))).toEqual({ ok: true, provider: "scripted" });
    expect(modelSelection(withVars({ ...PRODUCTION, ANTHROPIC_API_KEY: "sk-ant-test" }))).toEqual({ ok: true, provider: "anthropic" });
    expect(modelSelection(withVars({ ...PRODUCTION, ANTHROPIC_API_KEY: "sk-ant-test", MODEL_PROVIDER: "scripted" }))).toEqual({
      ok: true,
      provider: "scripted",
    });
  });

  it("development without a key falls back to the scripted model", () => {
    expect(modelSelection(withVars({ ENVIRONMENT: "development", MODEL_PROVIDER: "", ANTHROPIC_API_KEY: "" }))).toEqual({
      ok: true,
      provider: "scripted",
    });
  });

  it("MODEL_PROVIDER=anthropic without a key, or an unknown provider, is a configuration error naming the variable", () => {
    const anthropic = modelSelection(withVars({ ENVIRONMENT: "development", MODEL_PROVIDER: "anthropic", ANTHROPIC_API_KEY: "" }));
    expect(anthropic).toMatchObject({ ok: false, problem: expect.stringContaining("ANTHROPIC_API_KEY is not set") });
    const unknown = modelSelection(withVars({ ENVIRONMENT: "development", MODEL_PROVIDER: "sk-ant-misplaced", ANTHROPIC_API_KEY: "" }));
    expect(unknown).toMatchObject({ ok: false, problem: expect.stringContaining("MODEL_PROVIDER") });
    expect(JSON.stringify(unknown)).not.toContain("sk-ant-misplaced");
  });
});

describe("a production Worker without a model", () => {
  it("/readyz answers 503 naming ANTHROPIC_API_KEY and MODEL_PROVIDER=scripted", async () => {
    const res = await call(withVars(PRODUCTION), "/readyz");
    expect(res.status).toBe(503);
    const body = await json(res);
    expect(body.error.code).toBe("unavailable");
    expect(body.error.message).toContain("ANTHROPIC_API_KEY");
    expect(body.error.message).toContain("MODEL_PROVIDER=scripted");
    expect(body.error.details.adapters.model).toBe("none");
    expect(body.error.details.failing).toEqual([{ adapter: "model", ok: false, problem: expect.any(String), fix: expect.any(String) }]);
  });

  it("run creation answers 503 unavailable naming what is missing, and creates and reserves nothing", async () => {
    const t = await newTenant(1000);
    const res = await call(withVars(PRODUCTION), "/v1/runs", {
      method: "POST",
      headers: { authorization: `Bearer ${t.key}`, "content-type": "application/json" },
      body: JSON.stringify({ agent: "general", input: "hello" }),
    });
    expect(res.status).toBe(503);
    const body = await json(res);
    expect(body.error.code).toBe("unavailable");
    expect(body.error.message).toContain("ANTHROPIC_API_KEY");
    expect(body.error.message).toContain("MODEL_PROVIDER=scripted");
    expect((await json(api("/v1/runs", { key: t.key }))).runs).toEqual([]);
    expect(await json(api("/v1/credits", { key: t.key }))).toEqual({ available: 1000, reserved: 0, spent_total: 0 });
    const ledger = await json(api("/v1/credits/ledger", { key: t.key }));
    expect(ledger.entries.map((e: { kind: string }) => e.kind)).toEqual(["topup"]);
  });

  it("with MODEL_PROVIDER=scripted it is ready and reports the scripted model", async () => {
    const res = await call(withVars({ ...PRODUCTION, MODEL_PROVIDER: "scripted" }), "/readyz");
    expect(res.status).toBe(200);
    expect((await json(res)).adapters.model).toBe("scripted");
  });
});
