// The Prometheus side of the ops pack, checked by the real promtool: the alert rules and their unit
// tests, every dashboard query as an expression, and a /metrics scrape of the real Worker (started
// locally, with runs that populate the series) against promtool's linter and the names the
// dashboard and alerts use. promtool comes from Debian's prometheus package; .ci/run installs it.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { parse } from "yaml";
import { FAMILIES, familyOf } from "../../src/ops/metrics";
import { type LocalWorker, startWorker } from "../support/local-worker";
import { type ParsedFamily, parsePrometheusText, sampleValue } from "../support/prometheus-text";
import { dashboardQueries, markdownAnchors, metricUses, withIntervals } from "../support/promql";

const root = resolve(import.meta.dirname, "../..");
const ALERTS = resolve(root, "ops/prometheus/alerts.yml");
const ALERT_TESTS = resolve(root, "ops/prometheus/alerts.test.yml");
const INSTALL = "apt-get update && apt-get install -y --no-install-recommends prometheus";

/** Series that come from Prometheus itself (`up`) and blackbox_exporter (`probe_success`), not /metrics. */
const EXTERNAL_METRICS = new Set(["up", "probe_success"]);

function promtool(args: string[], input?: string) {
  const r = spawnSync("promtool", args, { input, encoding: "utf8", cwd: root, timeout: 60_000 });
  if (r.error) throw r.error;
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

type Rule = { alert?: string; record?: string; expr: string; labels?: Record<string, string>; annotations?: Record<string, string> };
const rules: Rule[] = (parse(readFileSync(ALERTS, "utf8")).groups as { rules: Rule[] }[]).flatMap((g) => g.rules);
const alerts = rules.filter((r) => r.alert);
const queries = dashboardQueries(JSON.parse(readFileSync(resolve(root, "ops/grafana/edgecrew.json"), "utf8")));

beforeAll(() => {
  const probe = spawnSync("promtool", ["--version"], { encoding: "utf8" });
  if (probe.error) {
    throw new Error(
      `promtool is not installed (${probe.error.message}). Install it as root: ${INSTALL}` +
        (process.env.CI === "true" ? " (.ci/run does this before the tests)" : ""),
    );
  }
});

describe("alert rules ops/prometheus/alerts.yml", () => {
  it("pass promtool check rules", () => {
    const r = promtool(["check", "rules", ALERTS]);
    expect(r.out).toContain(`SUCCESS: ${rules.length} rules found`);
    expect(r.status).toBe(0);
  });

  it("pass their unit tests (promtool test rules alerts.test.yml)", () => {
    const r = promtool(["test", "rules", ALERT_TESTS]);
    expect(r.out).toContain("SUCCESS");
    expect(r.status).toBe(0);
  });

  it("each has a severity, and a one-line runbook annotation naming a section of docs/operations.md", () => {
    const anchors = markdownAnchors(readFileSync(resolve(root, "docs/operations.md"), "utf8"));
    expect(alerts.length).toBeGreaterThanOrEqual(8);
    for (const a of alerts) {
      expect(["critical", "warning"], a.alert).toContain(a.labels?.severity);
      const runbook = a.annotations?.runbook ?? "";
      expect(runbook, a.alert).toMatch(/^docs\/operations\.md#[a-z0-9-]+$/);
      expect(anchors.has(runbook.split("#")[1]!), `${a.alert}: ${runbook} is a heading`).toBe(true);
      expect(a.annotations?.summary, a.alert).toBeTruthy();
    }
  });

  it("each has unit tests where it fires and where it stays silent", () => {
    type RuleTest = { alertname: string; exp_alerts?: unknown[] };
    const tests = (parse(readFileSync(ALERT_TESTS, "utf8")).tests as { alert_rule_test?: RuleTest[] }[]).flatMap(
      (t) => t.alert_rule_test ?? [],
    );
    for (const a of alerts) {
      const mine = tests.filter((t) => t.alertname === a.alert);
      expect(
        mine.some((t) => (t.exp_alerts ?? []).length > 0),
        `${a.alert} fires in a test`,
      ).toBe(true);
      expect(
        mine.some((t) => (t.exp_alerts ?? []).length === 0),
        `${a.alert} stays silent in a test`,
      ).toBe(true);
    }
  });
});

describe("dashboard queries", () => {
  it("are valid PromQL: promtool check rules on each as a recording rule ($__rate_interval as 5m)", () => {
    expect(queries.length).toBeGreaterThan(20);
    const dir = mkdtempSync(join(tmpdir(), "edgecrew-dashboard-"));
    try {
      const file = join(dir, "dashboard-queries.yml");
      const recorded = queries.map((q) => ({ record: `dashboard:panel_${q.panelId}_${q.refId}`, expr: withIntervals(q.expr) }));
      writeFileSync(file, JSON.stringify({ groups: [{ name: "edgecrew-dashboard", rules: recorded }] }, null, 2));
      const r = promtool(["check", "rules", file]);
      expect(r.out).toContain(`SUCCESS: ${queries.length} rules found`);
      expect(r.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("GET /metrics of the real Worker", () => {
  const ADMIN_TOKEN = `ops-admin-${crypto.randomUUID()}`;
  let worker: LocalWorker | null = null;
  let families: Map<string, ParsedFamily>;
  let text: string;
  let tenant: string;
  let key: string;

  const call = async (path: string, init: { method?: string; json?: unknown; token: string }) => {
    const res = await fetch(`${worker!.origin}${path}`, {
      method: init.method ?? "GET",
      headers: { authorization: `Bearer ${init.token}`, ...(init.json ? { "content-type": "application/json" } : {}) },
      body: init.json ? JSON.stringify(init.json) : undefined,
    });
    return { status: res.status, body: await res.text() };
  };
  const ok = async (path: string, init: { method?: string; json?: unknown; token: string }) => {
    const r = await call(path, init);
    if (r.status >= 300) throw new Error(`${init.method ?? "GET"} ${path}: ${r.status} ${r.body}`);
    return JSON.parse(r.body);
  };
  const value = (f: Map<string, ParsedFamily>, name: string, labels: Record<string, string>) => sampleValue(f, name, name, labels) ?? 0;

  beforeAll(async () => {
    worker = await startWorker(resolve(root, "wrangler.toml"), {
      ADMIN_TOKEN,
      AUTH_SIGNING_SECRET: "promtool-test-signing-secret-0123456789",
      ENVIRONMENT: "development",
      MODEL_PROVIDER: "scripted",
      RETRY_MAX_MS: "2000",
      WEBHOOK_RETRY_DELAYS_S: "1,1,1",
    });
    tenant = `ops-${crypto.randomUUID().slice(0, 8)}`;
    await ok("/v1/admin/tenants", { method: "POST", json: { id: tenant, name: "Ops test", credits: 1000 }, token: ADMIN_TOKEN });
    key = (await ok(`/v1/admin/tenants/${tenant}/keys`, { method: "POST", token: ADMIN_TOKEN })).key;
    const echo = inject("supportUrls").echo;
    await ok("/v1/webhooks", { method: "PUT", json: { url: `${echo}/echo/${tenant}` }, token: key });
    const inputs = ["- look up\n- summarise", "- shaky !fail-transient 1", "- no !fail-permanent", "- check !approve\n- report"];
    const runs = await Promise.all(
      inputs.map((input) => ok("/v1/runs", { method: "POST", json: { agent: "general", input, max_credits: 50 }, token: key })),
    );
    const deadline = Date.now() + 90_000;
    const settle = async (ids: string[]) => {
      for (;;) {
        const statuses = await Promise.all(ids.map(async (id) => (await ok(`/v1/runs/${id}`, { token: key })).status as string));
        if (statuses.every((s) => ["succeeded", "failed", "awaiting_approval"].includes(s))) return;
        if (Date.now() > deadline) throw new Error(`runs did not settle: ${statuses.join(", ")}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    };
    // Settled: three final, one waiting for its approval.
    await settle(runs.map((r) => r.id));
    // A last failing run: a batch with a failed model call pushes the isolate's counts at its end,
    // with every success buffered before it.
    const last = await ok("/v1/runs", {
      method: "POST",
      json: { agent: "general", input: "- no !fail-permanent", max_credits: 50 },
      token: key,
    });
    await settle([last.id]);
    // Tenants and consumer isolates flush every few seconds: scrape until what the runs did shows.
    for (;;) {
      text = (await call("/metrics", { token: ADMIN_TOKEN })).body;
      families = parsePrometheusText(text);
      const shown =
        value(families, "edgecrew_runs_finished_total", { agent: "general", status: "failed" }) >= 2 &&
        value(families, "edgecrew_model_calls_total", { outcome: "model_bad_request" }) >= 2 &&
        value(families, "edgecrew_webhook_deliveries_total", { result: "delivered" }) >= 1 &&
        sampleValue(
          families,
          "edgecrew_approvals_oldest_pending_timestamp_seconds",
          "edgecrew_approvals_oldest_pending_timestamp_seconds",
          {},
        ) !== undefined;
      if (shown) break;
      if (Date.now() > deadline) throw new Error(`the runs' metrics did not show:\n${text}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }, 180_000);

  afterAll(async () => {
    await worker?.stop();
  });

  it("is for the admin token only", async () => {
    expect((await call("/metrics", { token: key })).status).toBe(401);
  });

  it("passes promtool check metrics with no lint problem", () => {
    const r = promtool(["check", "metrics"], text);
    expect(r.out).toBe("");
    expect(r.status).toBe(0);
  });

  it("shows what the runs did: model calls by outcome, deliveries, workers by lane, the approval wait, the tenant's credits", async () => {
    // Plans and steps: 3 + 2 (after the retry) + 1 + 2 (up to the approval request) + 1 for the last run.
    expect(value(families, "edgecrew_model_calls_total", { outcome: "ok" })).toBeGreaterThanOrEqual(9);
    expect(value(families, "edgecrew_model_calls_total", { outcome: "model_overloaded" })).toBeGreaterThanOrEqual(1);
    expect(value(families, "edgecrew_model_calls_total", { outcome: "model_bad_request" })).toBe(2);
    for (const lane of ["high", "normal", "low"]) {
      expect(sampleValue(families, "edgecrew_workers_alive", "edgecrew_workers_alive", { lane })).toBeGreaterThanOrEqual(0);
    }
    const since = sampleValue(
      families,
      "edgecrew_approvals_oldest_pending_timestamp_seconds",
      "edgecrew_approvals_oldest_pending_timestamp_seconds",
      {},
    );
    expect(since).toBeLessThanOrEqual(Date.now() / 1000);
    expect(since).toBeGreaterThan(Date.now() / 1000 - 600);
    // The waiting run still holds its reservation. The tenant flushes its gauges within seconds of
    // its last change: scrape until they show the balance GET /v1/credits shows.
    const balance = await ok("/v1/credits", { token: key });
    expect(balance.reserved).toBeGreaterThan(0);
    const credits = (f: Map<string, ParsedFamily>) => ({
      available: sampleValue(f, "edgecrew_tenant_credits_available", "edgecrew_tenant_credits_available", { tenant }),
      reserved: sampleValue(f, "edgecrew_tenant_credits_reserved", "edgecrew_tenant_credits_reserved", { tenant }),
    });
    const want = { available: balance.available, reserved: balance.reserved };
    let shown = credits(families);
    for (const until = Date.now() + 20_000; JSON.stringify(shown) !== JSON.stringify(want) && Date.now() < until; ) {
      await new Promise((r) => setTimeout(r, 500));
      shown = credits(parsePrometheusText((await call("/metrics", { token: ADMIN_TOKEN })).body));
    }
    expect(shown).toEqual(want);
  }, 60_000);

  it("has every metric the dashboard and the alerts read, with a type that fits how they read it", () => {
    const exprs = [...queries.map((q) => withIntervals(q.expr)), ...rules.map((r) => r.expr)];
    const missing: string[] = [];
    for (const expr of exprs) {
      for (const use of metricUses(expr)) {
        if (EXTERNAL_METRICS.has(use.name)) continue;
        const family = familyOf(use.name, FAMILIES);
        const scraped = families.get(family?.name ?? use.name);
        if (!family || !scraped) {
          missing.push(`${use.name} (in ${expr})`);
          continue;
        }
        expect(scraped.type, use.name).toBe(family.type);
        const counterLike = family.type === "counter" || family.type === "histogram";
        if (use.rangeFunction === "rate" || use.rangeFunction === "increase")
          expect(counterLike, `${use.rangeFunction}(${use.name})`).toBe(true);
        if (use.rangeFunction === "delta" || use.rangeFunction === "deriv")
          expect(family.type, `${use.rangeFunction}(${use.name})`).toBe("gauge");
      }
    }
    expect(missing).toEqual([]);
  });
});
