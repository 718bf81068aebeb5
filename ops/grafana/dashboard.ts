// The edgecrew Grafana dashboard, typed against Grafana's own schema (@grafana/schema), rendered to
// ops/grafana/edgecrew.json by `npm run dashboard`. Every panel reads GET /metrics series through the
// `datasource` variable; the JSON carries __inputs/__requires so Grafana's import asks for it.

import {
  BigValueColorMode,
  BigValueGraphMode,
  BigValueJustifyMode,
  BigValueTextMode,
  type Dashboard,
  DashboardCursorSync,
  type DataSourceRef,
  defaultDashboard,
  GraphDrawStyle,
  GraphGradientMode,
  LegendDisplayMode,
  type Panel,
  PercentChangeColorMode,
  type RowPanel,
  SortOrder,
  StackingMode,
  type Threshold,
  ThresholdsMode,
  TooltipDisplayMode,
  type VariableModel,
  VisibilityMode,
  VizOrientation,
} from "@grafana/schema";
import type { Options as StatOptions } from "@grafana/schema/dist/esm/raw/composable/stat/panelcfg/x/StatPanelCfg_types.gen";
import {
  pluginVersion,
  type FieldConfig as TimeSeriesFieldConfig,
  type Options as TimeSeriesOptions,
} from "@grafana/schema/dist/esm/raw/composable/timeseries/panelcfg/x/TimeSeriesPanelCfg_types.gen";

/** A Prometheus query as Grafana stores it in a panel's `targets`. */
export type PrometheusQuery = {
  refId: string;
  datasource: DataSourceRef;
  /** PromQL; may use Grafana's `$__rate_interval`. */
  expr: string;
  /** Series name template, e.g. `{{lane}}`. */
  legendFormat: string;
  range: boolean;
  instant: boolean;
  editorMode: "code";
};

/** One entry of `__inputs`: what Grafana's import asks the user to choose. */
export type DashboardInput = { name: string; label: string; description: string; type: "datasource"; pluginId: string; pluginName: string };

/** One entry of `__requires`: a plugin or Grafana version the dashboard needs. */
export type DashboardRequirement = { type: "grafana" | "datasource" | "panel"; id: string; name: string; version: string };

/** The dashboard JSON model as exported for sharing (import with Dashboards > New > Import). */
export type ImportableDashboard = Dashboard & { __inputs: DashboardInput[]; __requires: DashboardRequirement[] };

/** A panel of this dashboard: Grafana's Panel whose targets are Prometheus queries. */
type PromPanel = Panel & { targets: PrometheusQuery[] };

/** Grafana's `${name}` reference to a variable or an import input (Grafana's syntax, not a JS template). */
const ref = (name: string) => `\${${name}}`;

/** Every panel and target points at the data source the `datasource` variable holds. */
const DS: DataSourceRef = { type: "prometheus", uid: ref("datasource") };

/** The Grafana release whose schema types this dashboard is checked against. */
export const GRAFANA_VERSION = pluginVersion;

/** The metrics the "Cost" row reads (counted by the run and tenant objects, priced at PRICE_*). */
export const COST_METRICS = ["edgecrew_platform_operations_total", "edgecrew_cost_usd_total"] as const;

const RATE = "$__rate_interval";

interface Query {
  expr: string;
  legend: string;
}

const q = (expr: string, legend: string): Query => ({ expr, legend });

/** Lays panels out left to right in rows of 24 columns, each row under a collapsible row panel. */
class Layout {
  private nextId = 1;
  private x = 0;
  private y = 0;
  private rowHeight = 0;
  readonly panels: (Panel | RowPanel)[] = [];

  row(title: string): void {
    this.newLine();
    this.panels.push({ type: "row", id: this.nextId++, title, collapsed: false, panels: [], gridPos: { x: 0, y: this.y, w: 24, h: 1 } });
    this.y += 1;
  }

  private place(w: number, h: number) {
    if (this.x + w > 24) this.newLine();
    const pos = { x: this.x, y: this.y, w, h };
    this.x += w;
    this.rowHeight = Math.max(this.rowHeight, h);
    return pos;
  }

  private newLine(): void {
    this.y += this.rowHeight;
    this.x = 0;
    this.rowHeight = 0;
  }

  /** Range queries (stat panels show the last value over a sparkline of the range). */
  private targets(queries: Query[]): PrometheusQuery[] {
    return queries.map((query, i) => ({
      refId: String.fromCharCode(65 + i),
      datasource: DS,
      expr: query.expr,
      legendFormat: query.legend,
      range: true,
      instant: false,
      editorMode: "code",
    }));
  }

  /** A time series panel, 8 columns wide unless `w` says otherwise. */
  timeseries(title: string, description: string, unit: string, queries: Query[], opts: { w?: number; stack?: boolean } = {}): void {
    const custom: TimeSeriesFieldConfig = {
      drawStyle: GraphDrawStyle.Line,
      lineWidth: 1,
      fillOpacity: opts.stack ? 30 : 10,
      gradientMode: GraphGradientMode.None,
      showPoints: VisibilityMode.Never,
      spanNulls: false,
      stacking: { mode: opts.stack ? StackingMode.Normal : StackingMode.None, group: "A" },
    };
    const options: TimeSeriesOptions = {
      legend: { displayMode: LegendDisplayMode.List, placement: "bottom", showLegend: true, calcs: [] },
      tooltip: { mode: TooltipDisplayMode.Multi, sort: SortOrder.Descending },
    };
    const panel: PromPanel = {
      type: "timeseries",
      id: this.nextId++,
      title,
      description,
      datasource: DS,
      gridPos: this.place(opts.w ?? 8, 8),
      pluginVersion: GRAFANA_VERSION,
      fieldConfig: { defaults: { unit, custom: { ...custom } }, overrides: [] },
      options: { ...options },
      targets: this.targets(queries),
    };
    this.panels.push(panel);
  }

  /** A single-value panel, 4 columns wide; `red` is the value from which it turns red. */
  stat(title: string, description: string, unit: string, query: Query, red: number | null, noValue = "0"): void {
    const options: StatOptions = {
      colorMode: BigValueColorMode.Value,
      graphMode: BigValueGraphMode.Area,
      justifyMode: BigValueJustifyMode.Auto,
      textMode: BigValueTextMode.Auto,
      orientation: VizOrientation.Auto,
      percentChangeColorMode: PercentChangeColorMode.Standard,
      showPercentChange: false,
      wideLayout: true,
      reduceOptions: { calcs: ["lastNotNull"], fields: "", values: false },
    };
    const steps: Threshold[] = [{ color: "green", value: null }];
    if (red !== null) steps.push({ color: "red", value: red });
    const panel: PromPanel = {
      type: "stat",
      id: this.nextId++,
      title,
      description,
      datasource: DS,
      gridPos: this.place(4, 4),
      pluginVersion: GRAFANA_VERSION,
      fieldConfig: { defaults: { unit, noValue, thresholds: { mode: ThresholdsMode.Absolute, steps } }, overrides: [] },
      options: { ...options },
      targets: this.targets([query]),
    };
    this.panels.push(panel);
  }
}

function panels(): (Panel | RowPanel)[] {
  const l = new Layout();
  const perMin = (expr: string) => `60 * ${expr}`;

  l.row("Now");
  l.stat("Queued runs", "Runs queued and waiting for a worker, all lanes.", "short", q("sum(edgecrew_queue_depth)", "queued"), null);
  l.stat("Running runs", "Runs being executed, all lanes.", "short", q("sum(edgecrew_runs_running)", "running"), null);
  l.stat("Retrying runs", "Runs waiting for the backoff of a retry.", "short", q("sum(edgecrew_runs_retrying)", "retrying"), null);
  l.stat("Dead runs", "Runs in the dead-letter list, not yet retried or redriven.", "short", q("sum(edgecrew_runs_dead)", "dead"), 1);
  l.stat("Approvals pending", "Runs waiting for a person's approval.", "short", q("sum(edgecrew_approvals_pending)", "pending"), null);
  l.stat(
    "Longest approval wait",
    "How long the longest-waiting run has waited for an approval (none waiting: no value).",
    "s",
    q("time() - min(edgecrew_approvals_oldest_pending_timestamp_seconds)", "waiting"),
    3600,
    "none waiting",
  );

  l.row("Runs");
  l.timeseries("Runs created per minute, by agent", "Runs accepted by POST /v1/runs.", "short", [
    q(perMin(`sum by (agent) (rate(edgecrew_runs_created_total[${RATE}]))`), "{{agent}}"),
  ]);
  l.timeseries("Runs finished per minute, by agent and status", "Runs that reached a final status.", "short", [
    q(perMin(`sum by (agent, status) (rate(edgecrew_runs_finished_total[${RATE}]))`), "{{agent}} {{status}}"),
  ]);
  l.timeseries("Runs refused per minute, by reason", "Creations refused for credits (402) or rate (429).", "short", [
    q(perMin(`sum by (reason) (rate(edgecrew_runs_refused_total[${RATE}]))`), "{{reason}}"),
  ]);
  l.timeseries("Run duration quantiles", "Time from a run's creation to its final status, all agents and statuses.", "s", [
    q(`histogram_quantile(0.5, sum by (le) (rate(edgecrew_run_duration_seconds_bucket[${RATE}])))`, "p50"),
    q(`histogram_quantile(0.9, sum by (le) (rate(edgecrew_run_duration_seconds_bucket[${RATE}])))`, "p90"),
    q(`histogram_quantile(0.99, sum by (le) (rate(edgecrew_run_duration_seconds_bucket[${RATE}])))`, "p99"),
  ]);
  l.timeseries("Run duration p90, by agent", "90th percentile of run duration per agent.", "s", [
    q(`histogram_quantile(0.9, sum by (agent, le) (rate(edgecrew_run_duration_seconds_bucket[${RATE}])))`, "{{agent}}"),
  ]);
  l.timeseries("Retries per minute, by agent", "Retries after transient failures (counted when the run finishes).", "short", [
    q(perMin(`sum by (agent) (rate(edgecrew_retries_total[${RATE}]))`), "{{agent}}"),
  ]);

  l.row("Queues and workers");
  l.timeseries(
    "Queue depth, by lane",
    "Runs queued and waiting for a worker.",
    "short",
    [q("sum by (lane) (edgecrew_queue_depth)", "{{lane}}")],
    {
      stack: true,
    },
  );
  l.timeseries("Running runs, by lane", "Runs being executed.", "short", [q("sum by (lane) (edgecrew_runs_running)", "{{lane}}")], {
    stack: true,
  });
  l.timeseries("Workers alive, by lane", "Queue consumers with a live heartbeat when scraped.", "short", [
    q("sum by (lane) (edgecrew_workers_alive)", "{{lane}}"),
  ]);
  l.timeseries("Retrying, dead and scheduled runs", "Runs in backoff, dead (dead-letter list) and waiting for run_at.", "short", [
    q("sum(edgecrew_runs_retrying)", "retrying"),
    q("sum(edgecrew_runs_dead)", "dead"),
    q("sum(edgecrew_runs_scheduled)", "scheduled"),
  ]);
  l.timeseries("Approvals pending", "Runs waiting for a person's approval.", "short", [q("sum(edgecrew_approvals_pending)", "pending")]);
  l.timeseries("Longest approval wait", "How long the longest-waiting run has waited for an approval.", "s", [
    q("time() - min(edgecrew_approvals_oldest_pending_timestamp_seconds)", "longest wait"),
  ]);

  l.row("Model and credits");
  l.timeseries("Model tokens per minute, by agent and type", "Tokens of committed model calls (counted when the run finishes).", "short", [
    q(perMin(`sum by (agent, type) (rate(edgecrew_model_tokens_total[${RATE}]))`), "{{agent}} {{type}}"),
  ]);
  l.timeseries("Model calls per minute, by outcome", "ok, or the failure code of the call.", "short", [
    q(perMin(`sum by (outcome) (rate(edgecrew_model_calls_total[${RATE}]))`), "{{outcome}}"),
  ]);
  l.timeseries("Model call error ratio", "Share of model calls that failed.", "percentunit", [
    q(`sum(rate(edgecrew_model_calls_total{outcome!="ok"}[${RATE}])) / sum(rate(edgecrew_model_calls_total[${RATE}]))`, "errors"),
  ]);
  l.timeseries("Credits charged per minute, by agent", "Credits charged for model calls and run fees.", "short", [
    q(perMin(`sum by (agent) (rate(edgecrew_credits_charged_total[${RATE}]))`), "{{agent}}"),
  ]);
  l.timeseries("Tenants with the fewest credits available", "The 10 lowest balances (tenants' own ledgers).", "short", [
    q("bottomk(10, sum by (tenant) (edgecrew_tenant_credits_available))", "{{tenant}}"),
  ]);
  l.timeseries("Tenants holding the most credits in reservations", "The 10 largest reservations of unfinished runs.", "short", [
    q("topk(10, sum by (tenant) (edgecrew_tenant_credits_reserved))", "{{tenant}}"),
  ]);

  l.row("Webhooks");
  l.timeseries(
    "Webhook delivery attempts per minute, by result",
    "delivered; failed (to be retried); undeliverable (the last attempt failed).",
    "short",
    [q(perMin(`sum by (result) (rate(edgecrew_webhook_deliveries_total[${RATE}]))`), "{{result}}")],
    { w: 12 },
  );
  l.timeseries(
    "Webhook delivery attempts failing",
    "Share of delivery attempts that did not get a 2xx answer.",
    "percentunit",
    [
      q(
        `sum(rate(edgecrew_webhook_deliveries_total{result!="delivered"}[${RATE}])) / sum(rate(edgecrew_webhook_deliveries_total[${RATE}]))`,
        "failing",
      ),
    ],
    { w: 12 },
  );

  l.row("Cost");
  l.timeseries(
    "Platform operations per finished run, by kind",
    "Durable Object requests, SQLite rows written and queue messages per finished run (run and tenant objects).",
    "short",
    [
      q(
        `sum by (kind) (rate(edgecrew_platform_operations_total[${RATE}])) / scalar(sum(rate(edgecrew_runs_finished_total[${RATE}])))`,
        "{{kind}}",
      ),
    ],
  );
  l.timeseries("Cost per finished run (USD), by kind", "Platform and model cost per run at the PRICE_* prices.", "currencyUSD", [
    q(`sum by (kind) (rate(edgecrew_cost_usd_total[${RATE}])) / scalar(sum(rate(edgecrew_runs_finished_total[${RATE}])))`, "{{kind}}"),
  ]);
  l.timeseries(
    "Cost per hour (USD), by kind",
    "Platform and model cost at the PRICE_* prices.",
    "currencyUSD",
    [q(`3600 * sum by (kind) (rate(edgecrew_cost_usd_total[${RATE}]))`, "{{kind}}")],
    { stack: true },
  );
  return l.panels;
}

const datasourceVariable: VariableModel = {
  name: "datasource",
  label: "Data source",
  type: "datasource",
  query: "prometheus",
  // Set by the import to the data source chosen for DS_PROMETHEUS.
  current: { text: ref("DS_PROMETHEUS"), value: ref("DS_PROMETHEUS") },
  refresh: 1,
  regex: "",
  includeAll: false,
  multi: false,
  options: [],
};

/** The dashboard model. */
export function dashboard(): ImportableDashboard {
  return {
    __inputs: [
      {
        name: "DS_PROMETHEUS",
        label: "Prometheus",
        description: "The Prometheus that scrapes edgecrew's /metrics",
        type: "datasource",
        pluginId: "prometheus",
        pluginName: "Prometheus",
      },
    ],
    __requires: [
      { type: "grafana", id: "grafana", name: "Grafana", version: GRAFANA_VERSION },
      { type: "datasource", id: "prometheus", name: "Prometheus", version: "1.0.0" },
      { type: "panel", id: "stat", name: "Stat", version: "" },
      { type: "panel", id: "timeseries", name: "Time series", version: "" },
    ],
    id: null,
    uid: "edgecrew-overview",
    title: "edgecrew",
    description: "Runs, queues, workers, approvals, model calls, credits, webhooks and cost of an edgecrew deployment (GET /metrics).",
    tags: ["edgecrew"],
    editable: true,
    graphTooltip: DashboardCursorSync.Crosshair,
    fiscalYearStartMonth: 0,
    liveNow: false,
    links: [],
    refresh: "1m",
    schemaVersion: defaultDashboard.schemaVersion,
    version: 1,
    time: { from: "now-6h", to: "now" },
    timepicker: {},
    timezone: "browser",
    weekStart: "",
    annotations: {
      list: [
        {
          builtIn: 1,
          datasource: { type: "grafana", uid: "-- Grafana --" },
          enable: true,
          hide: true,
          iconColor: "rgba(0, 211, 255, 1)",
          name: "Annotations & Alerts",
          type: "dashboard",
        },
      ],
    },
    templating: { list: [datasourceVariable] },
    panels: panels(),
  };
}

/** The dashboard as the JSON file holds it: two-space indents and a final newline. */
export function renderDashboard(): string {
  return `${JSON.stringify(dashboard(), null, 2)}\n`;
}
