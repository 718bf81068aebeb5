// GET /metrics: admin only, strict Prometheus text, and counters that follow the runs that happen.
// Other tests run at the same time and share the metrics store, so counters are compared as
// increases of at least what this test caused.
import { describe, expect, it } from "vitest";
import { ADMIN, api, createRun, json, newTenant, waitForRun } from "../helpers/api";
import { echoUrl } from "../helpers/echo";
import { deliveriesSettled } from "../helpers/webhooks";
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
  callsOk: sampleValue(f, "edgecrew_model_calls_total", "edgecrew_model_calls_total", { outcome: "ok" }) ?? 0,
  callsOverloaded: sampleValue(f, "edgecrew_model_calls_total", "edgecrew_model_calls_total", { outcome: "model_overloaded" }) ?? 0,
  callsRejected: sampleValue(f, "edgecrew_model_calls_total", "edgecrew_model_calls_total", { outcome: "model_bad_request" }) ?? 0,
  delivered: sampleValue(f, "edgecrew_webhook_deliveries_total", "edgecrew_webhook_deliveries_total", { result: "delivered" }) ?? 0,
  deliveryFailed: sampleValue(f, "edgecrew_webhook_deliveries_total", "edgecrew_webhook_deliveries_total", { result: "failed" }) ?? 0,
});

describe("GET /metrics", () => {
  it("is for the admin only", async () => {
    const t = await newTenant(1);
    expect((await api("/metrics", { key: null })).status).toBe(401);
    expect((await api("/metrics", { key: t.key })).status).toBe(401);
  });

  it("exposes every series and counts the runs, model calls and webhook deliveries that happened", async () => {
    const before = counters(await scrape());
    const t = await newTenant(250);
    const scope = `metrics-${crypto.randomUUID().slice(0, 8)}`;
    // Every event of this tenant goes to the echo server: one answering 200, and for a second
    // tenant one answering 500 (a failed attempt, retried).
    expect((await api("/v1/webhooks", { method: "PUT", key: t.key, json: { url: `${echoUrl()}/echo/${scope}` } })).status).toBe(200);
    const failing = await newTenant(50);
    const badHook = { url: `${echoUrl()}/echo/${scope}-down?status=500` };
    expect((await api("/v1/webhooks", { method: "PUT", key: failing.key, json: badHook })).status).toBe(200);
    const failingRun = await createRun({ agent: "general", input: "- a", max_credits: 20 }, failing.key);
    const ok = await createRun({ agent: "general", input: "- a\n- b", max_credits: 20 }, t.key);
    const flaky = await createRun({ agent: "general", input: "- shaky !fail-transient 2", max_credits: 20 }, t.key);
    const bad = await createRun({ agent: "general", input: "- no !fail-permanent", max_credits: 20 }, t.key);
    const refused = await api("/v1/runs", { method: "POST", json: { agent: "general", input: "x", max_credits: 1000 }, key: t.key });
    expect(refused.status).toBe(402);
    const runs = await Promise.all([ok, flaky, bad].map((r) => waitForRun(r.id, { key: t.key, timeoutMs: 30_000 })));
    await waitForRun(failingRun.id, { key: failing.key, timeoutMs: 30_000 });
    // A batch with a failed model call pushes the consumer's counts at its end, with the successes
    // buffered before it: one more failing run after the others.
    const last = await createRun({ agent: "general", input: "- no again !fail-permanent", max_credits: 20 }, t.key);
    const lastRun = await waitForRun(last.id, { key: t.key, timeoutMs: 30_000 });
    expect(lastRun.status).toBe("failed");
    expect(runs.map((r) => r.status)).toEqual(["succeeded", "succeeded", "failed"]);
    const spent = runs.reduce((s, r) => s + r.credits.spent, 0);
    const tokensIn = runs.reduce((s, r) => s + r.usage.input_tokens, 0);

    // Tenants flush at most every 5 s: poll until this test's runs show.
    let after = counters(await scrape());
    const deadline = Date.now() + 20_000;
    while (
      Date.now() < deadline &&
      (after.succeeded - before.succeeded < 2 ||
        after.failed - before.failed < 1 ||
        after.retries - before.retries < 2 ||
        after.callsOverloaded - before.callsOverloaded < 2 ||
        after.callsRejected - before.callsRejected < 2 ||
        after.delivered - before.delivered < 1 ||
        after.deliveryFailed - before.deliveryFailed < 1)
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
    // The plan and each step call the model; the flaky step fails twice first.
    expect(after.callsOk - before.callsOk).toBeGreaterThanOrEqual(6);
    expect(after.callsOverloaded - before.callsOverloaded).toBeGreaterThanOrEqual(2);
    expect(after.callsRejected - before.callsRejected).toBeGreaterThanOrEqual(2);
    expect(after.delivered - before.delivered).toBeGreaterThanOrEqual(1);
    expect(after.deliveryFailed - before.deliveryFailed).toBeGreaterThanOrEqual(1);

    const f = await scrape();
    for (const lane of ["high", "normal", "low"]) {
      expect(sampleValue(f, "edgecrew_queue_depth", "edgecrew_queue_depth", { lane })).toBeGreaterThanOrEqual(0);
      expect(sampleValue(f, "edgecrew_runs_running", "edgecrew_runs_running", { lane })).toBeGreaterThanOrEqual(0);
    }
    for (const name of ["edgecrew_runs_dead", "edgecrew_approvals_pending", "edgecrew_runs_retrying", "edgecrew_runs_scheduled"]) {
      expect(f.get(name)?.type).toBe("gauge");
      expect(sampleValue(f, name, name, {})).toBeGreaterThanOrEqual(0);
    }
    // Read when scraped: every lane has a live-worker count, 0 included.
    for (const lane of ["high", "normal", "low"]) {
      expect(sampleValue(f, "edgecrew_workers_alive", "edgecrew_workers_alive", { lane })).toBeGreaterThanOrEqual(0);
    }
    // The tenant's credits, as GET /v1/credits shows them once its final syncs are flushed.
    const balance = await json(api("/v1/credits", { key: t.key }));
    let available = sampleValue(f, "edgecrew_tenant_credits_available", "edgecrew_tenant_credits_available", { tenant: t.id });
    const until = Date.now() + 15_000;
    while (available !== balance.available && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 250));
      const g = await scrape();
      available = sampleValue(g, "edgecrew_tenant_credits_available", "edgecrew_tenant_credits_available", { tenant: t.id });
    }
    expect(available).toBe(balance.available);
    expect(balance.available).toBe(250 - spent - lastRun.credits.spent);
    // The failing receiver's deliveries end before the next test file starts.
    await deliveriesSettled(failing.key);
  }, 60_000);
});
