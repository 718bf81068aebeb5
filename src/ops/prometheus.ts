// The Prometheus text exposition format (version 0.0.4): families with `# HELP` and `# TYPE`,
// escaped label values, histogram buckets in order with `+Inf`, `_sum` and `_count`. Pure.

import { DURATION_BUCKETS, type Labels, labelKey, type MetricFamily, type Sample } from "./metrics";

/** Content type of the text format. */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** Escapes a label value: backslash, double quote and line feed. */
export function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/** Escapes HELP text: backslash and line feed. */
export function escapeHelp(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

export function formatValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Number.POSITIVE_INFINITY) return "+Inf";
  if (v === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(v);
}

function series(name: string, labels: Labels, value: number): string {
  const keys = Object.keys(labels);
  const body = keys.length === 0 ? "" : `{${keys.map((k) => `${k}="${escapeLabelValue(labels[k] ?? "")}"`).join(",")}}`;
  return `${name}${body} ${formatValue(value)}`;
}

const byLabels = (a: Sample, b: Sample) => (labelKey(a.labels) < labelKey(b.labels) ? -1 : labelKey(a.labels) > labelKey(b.labels) ? 1 : 0);

function histogramLines(f: MetricFamily, samples: Sample[], buckets: readonly number[]): string[] {
  // Group by the label set without `le`; a bucket with no row is below every observation: 0.
  const groups = new Map<string, { labels: Labels; buckets: Map<string, number>; sum: number; count: number }>();
  const group = (labels: Labels) => {
    const key = labelKey(labels);
    let g = groups.get(key);
    if (!g) {
      g = { labels, buckets: new Map(), sum: 0, count: 0 };
      groups.set(key, g);
    }
    return g;
  };
  for (const s of samples) {
    if (s.name === `${f.name}_bucket`) {
      const { le, ...rest } = s.labels;
      group(rest).buckets.set(le ?? "+Inf", s.value);
    } else if (s.name === `${f.name}_sum`) group(s.labels).sum = s.value;
    else if (s.name === `${f.name}_count`) group(s.labels).count = s.value;
  }
  const lines: string[] = [];
  for (const key of [...groups.keys()].sort()) {
    const g = groups.get(key)!;
    for (const le of [...buckets.map(String), "+Inf"]) lines.push(series(`${f.name}_bucket`, { ...g.labels, le }, g.buckets.get(le) ?? 0));
    lines.push(series(`${f.name}_sum`, g.labels, g.sum));
    lines.push(series(`${f.name}_count`, g.labels, g.count));
  }
  return lines;
}

/**
 * Renders every family in `families` order; a family without samples still gets its HELP and
 * TYPE lines. Samples whose name matches no family are left out.
 */
export function renderPrometheus(
  families: readonly MetricFamily[],
  samples: Sample[],
  buckets: readonly number[] = DURATION_BUCKETS,
): string {
  const lines: string[] = [];
  for (const f of families) {
    lines.push(`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`);
    if (f.type === "histogram") {
      lines.push(...histogramLines(f, samples, buckets));
      continue;
    }
    for (const s of samples.filter((x) => x.name === f.name).sort(byLabels)) lines.push(series(s.name, s.labels, s.value));
  }
  return `${lines.join("\n")}\n`;
}
