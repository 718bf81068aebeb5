// GET /metrics: admin only, strict Prometheus text, and counters that follow the runs that happen.
// Other tests run at the same time and share the metrics store, so counters are compared as
// increases of at least what this test caused.
import { describe, expect, it } from "vitest";
import { ADMIN, api, createRun, newTenant, waitForRun } from "../helpers/api";
import { parsePrometheusText, sampleValue } from "../support/prometheus-text";

async function scrape() {
  const res = await api("/metrics", { key: ADMIN });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
  return parsePrometheusText(await res.text());
}

type Families = Awaited<ReturnType<typeof scrape>>;

const counters = (f: Families) => ({
  created: sampleValue(f, "edgecrew_runs_created_total", "edgecrew_runs_created_total", { agent: "general" }) ?? 0,
  succeeded: sampleValue(f, "edgecrew_runs_finished_total", "edgecrew_runs_finished_total", { agent: "general", status: "succeeded" }) ?? 0,
  failed: sampleValue(f, "edgecrew_runs_finished_total", "edgecrew_runs_finished_total", { agent: "general", status: "failed" }) ?? 0,
  refused: sampleValue(f, "edgecrew_runs_refused_total", "edgecrew_runs_refused_total", { reason: "insufficient_credits" }) ?? 0,
  durations:
    sampleValue(f, "edgecrew_run_duration_seconds", "edgecrew_run_duration_seconds_count", { agent: "general", status: "succeeded" }) ?? 0,
  retries: sampleValue(f, "edgecrew_retries_total", "edgecrew_retries_total", { agent: "general" }) ?? 0,
  input: sampleValue(f, "edgecrew_model_tokens_total", "edgecrew_model_tokens_total", { agent: "general", type: "input" }) ?? 0,
  output: sampleValue(f, "edgecrew_model_tokens_total", "edgecrew_model_tokens_total", { agent: "general", type: "output" }) ?? 0,
  credits: sampleValue(f, "edgecrew_credits_charged_total", "edgecrew_credits_charged_total", { agent: "general" }) ?? 0,
});

describe("GET /metrics", () => {
  it("is for the admin only", async () => {
    const t = await newTenant(1);
    expect((await api("/metrics", { key: null })).status).toBe(401);
    expect((await api("/metrics", { key: t.key })).status).toBe(401);
  });

  it("exposes every series of the metrics families and counts the runs that happened", async () => {
    const before = counters(await scrape());
    const t = await newTenant(250);
    const ok = await createRun({ agent: "general", input: "- a\n- b", max_credits: 20 }, t.key);
    const flaky = await createRun({ agent: "general", input: "- shaky !fail-transient 2", max_credits: 20 }, t.key);
    const bad = await createRun({ agent: "general", input: "- no !fail-permanent", max_credits: 20 }, t.key);
    const refused = await api("/v1/runs", { method: "POST", json: { agent: "general", input: "x", max_credits: 1000 }, key: t.key });
    expect(refused.status).toBe(402);
    const runs = await Promise.all([ok, flaky, bad].map((r) => waitForRun(r.id, { key: t.key, timeoutMs: 30_000 })));
    expect(runs.map((r) => r.status)).toEqual(["succeeded", "succeeded", "failed"]);
    const spent = runs.reduce((s, r) => s + r.credits.spent, 0);
    const tokensIn = runs.reduce((s, r) => s + r.usage.input_tokens, 0);

    // Tenants flush at most every 5 s: poll until this test's runs show.
    let after = counters(await scrape());
    const deadline = Date.now() + 20_000;
    while (
      Date.now() < deadline &&
      (after.succeeded - before.succeeded < 2 || after.failed - before.failed < 1 || after.retries - before.retries < 2)
    ) {
      await new Promise((r) => setTimeout(r, 250));
      after = counters(await scrape());
    }
    expect(after.created - before.created).toBeGreaterThanOrEqual(3);
    expect(after.refused - before.refused).toBeGreaterThanOrEqual(1);
    expect(after.succeeded - before.succeeded).toBeGreaterThanOrEqual(2);
    expect(after.failed - before.failed).toBeGreaterThanOrEqual(1);
    expect(after.durations - before.durations).toBeGreaterThanOrEqual(2);
    expect(after.retries - before.retries).toBeGreaterThanOrEqual(2);
    expect(after.input - before.input).toBeGreaterThanOrEqual(tokensIn);
    expect(after.output - before.output).toBeGreaterThanOrEqual(runs.length * 20);
    expect(after.credits - before.credits).toBeGreaterThanOrEqual(spent);

    const f = await scrape();
    for (const lane of ["high", "normal", "low"]) {
      expect(sampleValue(f, "edgecrew_queue_depth", "edgecrew_queue_depth", { lane })).toBeGreaterThanOrEqual(0);
      expect(sampleValue(f, "edgecrew_runs_running", "edgecrew_runs_running", { lane })).toBeGreaterThanOrEqual(0);
    }
    for (const name of ["edgecrew_runs_dead", "edgecrew_approvals_pending", "edgecrew_runs_retrying", "edgecrew_runs_scheduled"]) {
      expect(f.get(name)?.type).toBe("gauge");
      expect(sampleValue(f, name, name, {})).toBeGreaterThanOrEqual(0);
    }
  }, 60_000);
});
