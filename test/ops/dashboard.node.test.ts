// The Grafana dashboard: the committed JSON is what its typed definition renders, and it has what
// Grafana's import needs (inputs, requirements, a Prometheus data source variable that every panel
// and query uses, unique ids, a layout on the 24-column grid) and the panels operators look for.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { defaultDashboard } from "@grafana/schema";
import { describe, expect, it } from "vitest";
import { COST_METRICS, renderDashboard } from "../../ops/grafana/dashboard";
import { allPanels, dashboardQueries, metricUses } from "../support/promql";

const root = resolve(import.meta.dirname, "../..");
const text = readFileSync(resolve(root, "ops/grafana/edgecrew.json"), "utf8");
const d = JSON.parse(text);
const panels = allPanels(d);
const visible = panels.filter((p: any) => p.type !== "row");
const queries = dashboardQueries(d);
/** Grafana's `${name}` reference (Grafana's syntax, not a JS template). */
const ref = (name: string) => `\${${name}}`;

describe("Grafana dashboard ops/grafana/edgecrew.json", () => {
  it("is what ops/grafana/dashboard.ts renders (after editing it: npm run dashboard)", () => {
    expect(text).toBe(renderDashboard());
  });

  it("imports: __inputs asks for the Prometheus data source the variable starts on; __requires lists every panel type used", () => {
    expect(d.__inputs).toEqual([expect.objectContaining({ name: "DS_PROMETHEUS", type: "datasource", pluginId: "prometheus" })]);
    const variable = d.templating.list.find((v: any) => v.name === "datasource");
    expect(variable).toMatchObject({ type: "datasource", query: "prometheus", current: { value: ref("DS_PROMETHEUS") } });
    const required = new Set(d.__requires.map((r: any) => `${r.type}:${r.id}`));
    expect(required.has("grafana:grafana")).toBe(true);
    expect(required.has("datasource:prometheus")).toBe(true);
    for (const p of visible) expect(required.has(`panel:${p.type}`), `${p.type} is required`).toBe(true);
    expect(new Set(visible.map((p: any) => p.type))).toEqual(new Set(["stat", "timeseries"]));
  });

  it("has a uid, no id (Grafana assigns one), and the schema version of the Grafana its types come from", () => {
    expect(d.uid).toMatch(/^[a-zA-Z0-9_-]{1,40}$/);
    expect(d.id).toBeNull();
    expect(d.schemaVersion).toBe(defaultDashboard.schemaVersion);
    expect(d.schemaVersion).toBeGreaterThanOrEqual(39);
  });

  it("every panel has a unique id and a place on the 24-column grid, and no two panels overlap", () => {
    const ids = panels.map((p: any) => p.id);
    expect(ids.every((id: unknown) => Number.isInteger(id) && (id as number) > 0)).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    const cells = new Set<string>();
    for (const p of panels as any[]) {
      const g = p.gridPos;
      expect(g.x >= 0 && g.w > 0 && g.h > 0 && g.x + g.w <= 24 && g.y >= 0, `grid of panel ${p.id}`).toBe(true);
      for (let x = g.x; x < g.x + g.w; x++) {
        for (let y = g.y; y < g.y + g.h; y++) {
          expect(cells.has(`${x},${y}`), `panel ${p.id} overlaps at ${x},${y}`).toBe(false);
          cells.add(`${x},${y}`);
        }
      }
    }
  });

  it("every panel and every query reads the datasource variable; every query has an expression and a refId unique in its panel", () => {
    const ds = { type: "prometheus", uid: ref("datasource") };
    for (const p of visible as any[]) {
      expect(p.datasource, `panel ${p.id}`).toEqual(ds);
      expect(p.targets.length, `panel ${p.id} has queries`).toBeGreaterThan(0);
      expect(new Set(p.targets.map((t: any) => t.refId)).size).toBe(p.targets.length);
      for (const t of p.targets) {
        expect(t.datasource, `panel ${p.id} ${t.refId}`).toEqual(ds);
        expect(t.refId).toMatch(/^[A-Z]$/);
        expect(t.expr.trim()).not.toBe("");
      }
    }
  });

  it("has panels for runs, durations, queues, workers, retrying and dead runs, approvals, tokens, credits, webhooks and cost", () => {
    const used = new Set(queries.flatMap((q) => metricUses(q.expr.replaceAll("$__rate_interval", "5m")).map((u) => u.name)));
    for (const name of [
      "edgecrew_runs_created_total",
      "edgecrew_runs_finished_total",
      "edgecrew_run_duration_seconds_bucket",
      "edgecrew_queue_depth",
      "edgecrew_workers_alive",
      "edgecrew_runs_retrying",
      "edgecrew_runs_dead",
      "edgecrew_approvals_pending",
      "edgecrew_model_tokens_total",
      "edgecrew_credits_charged_total",
      "edgecrew_webhook_deliveries_total",
      ...COST_METRICS,
    ]) {
      expect(used.has(name), name).toBe(true);
    }
    expect(queries.some((q) => q.expr.startsWith("histogram_quantile(") && q.expr.includes("edgecrew_run_duration_seconds_bucket"))).toBe(
      true,
    );
  });

  it("the panels reading the cost metrics sit in the Cost row", () => {
    const rows = (d.panels as any[]).filter((p) => p.type === "row");
    const costRow = rows.find((r) => r.title === "Cost");
    expect(costRow).toBeDefined();
    const next = rows.find((r) => r.gridPos.y > costRow.gridPos.y);
    const costPanels = queries.filter((q) => COST_METRICS.some((m) => q.expr.includes(m)));
    expect(costPanels.length).toBeGreaterThan(0);
    for (const q of costPanels) {
      const p = visible.find((x: any) => x.id === q.panelId) as any;
      expect(p.gridPos.y, q.panelTitle).toBeGreaterThan(costRow.gridPos.y);
      if (next) expect(p.gridPos.y, q.panelTitle).toBeLessThan(next.gridPos.y);
    }
  });
});
