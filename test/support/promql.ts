// PromQL helpers for the ops tests: which metrics an expression reads and through which range
// function (parsed with the Prometheus project's Lezer grammar), the queries of a Grafana dashboard
// JSON model, and Grafana's interval variables replaced so promtool can check the expressions.

import { parser } from "@prometheus-io/lezer-promql";

/** One metric an expression reads: its name and the range function over it (rate, delta...), if any. */
export interface MetricUse {
  name: string;
  rangeFunction: string | null;
}

/** The metrics `expr` selects, in order. Throws on a syntax error. */
export function metricUses(expr: string): MetricUse[] {
  const tree = parser.parse(expr);
  const uses: MetricUse[] = [];
  let error: number | null = null;
  tree.iterate({
    enter(n) {
      if (n.type.isError && error === null) error = n.from;
      if (n.name !== "VectorSelector") return;
      const id = n.node.getChild("Identifier");
      if (!id) return;
      // rate(x[5m]): VectorSelector < MatrixSelector < FunctionCallBody < FunctionCall(FunctionIdentifier)
      const matrix = n.node.parent?.name === "MatrixSelector" ? n.node.parent : null;
      const call = matrix?.parent?.name === "FunctionCallBody" ? matrix.parent.parent : null;
      const fnId = call?.name === "FunctionCall" ? call.getChild("FunctionIdentifier") : null;
      uses.push({ name: expr.slice(id.from, id.to), rangeFunction: fnId ? expr.slice(fnId.from, fnId.to) : null });
    },
  });
  if (error !== null) throw new Error(`PromQL syntax error at ${error}: ${expr}`);
  return uses;
}

/** One query of a dashboard panel. */
export interface PanelQuery {
  panelId: number;
  panelTitle: string;
  refId: string;
  expr: string;
}

interface JsonPanel {
  id?: number;
  type?: string;
  title?: string;
  targets?: { refId?: string; expr?: string }[];
  panels?: JsonPanel[];
}

/** Every panel of a dashboard JSON model, rows' nested panels included. */
export function allPanels(dashboard: { panels?: JsonPanel[] }): JsonPanel[] {
  return (dashboard.panels ?? []).flatMap((p) => [p, ...(p.panels ?? [])]);
}

/** Every query of the dashboard's panels. */
export function dashboardQueries(dashboard: { panels?: JsonPanel[] }): PanelQuery[] {
  return allPanels(dashboard).flatMap((p) =>
    (p.targets ?? []).map((t) => ({ panelId: p.id ?? -1, panelTitle: p.title ?? "", refId: t.refId ?? "", expr: t.expr ?? "" })),
  );
}

/** Grafana's interval variables and the durations that stand for them in checks. */
const GRAFANA_INTERVALS: Record<string, string> = { $__rate_interval: "5m", $__interval: "1m", $__range: "1h" };

/** `expr` with Grafana's interval variables replaced by durations; any other `$` variable throws. */
export function withIntervals(expr: string): string {
  const out = expr.replace(/\$__[a-z_]+/g, (v) => {
    const d = GRAFANA_INTERVALS[v];
    if (!d) throw new Error(`unknown Grafana variable ${v} in: ${expr}`);
    return d;
  });
  if (out.includes("$")) throw new Error(`a Grafana variable is left in: ${expr}`);
  return out;
}

/** The anchor GitHub gives a Markdown heading: lower case, punctuation dropped, spaces as dashes. */
export function headingAnchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

/** The anchors of every heading of a Markdown text (lines in fenced code blocks are not headings). */
export function markdownAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  let fenced = false;
  for (const line of markdown.split("\n")) {
    if (line.startsWith("```")) fenced = !fenced;
    const m = fenced ? null : /^#{1,6}\s+(.+)$/.exec(line);
    if (m?.[1]) anchors.add(headingAnchor(m[1]));
  }
  return anchors;
}
