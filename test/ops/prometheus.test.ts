// Rendering the metrics as Prometheus text: every family with HELP and TYPE, escaped labels,
// complete histograms; the output passes the strict parser.
import { describe, expect, it } from "vitest";
import { agentLabel, FAMILIES, labelKey, labelsFromKey, MetricsBuffer } from "../../src/ops/metrics";
import { escapeLabelValue, formatValue, renderPrometheus } from "../../src/ops/prometheus";
import { parsePrometheusText, sampleValue } from "../support/prometheus-text";

describe("metrics buffer", () => {
  it("adds deltas per series and drains them", () => {
    const b = new MetricsBuffer();
    b.add("x_total", { agent: "general" });
    b.add("x_total", { agent: "general" }, 2);
    b.add("x_total", { agent: "orders" });
    b.add("x_total", { agent: "orders" }, 0);
    expect(b.drain()).toEqual([
      { name: "x_total", labels: { agent: "general" }, value: 3 },
      { name: "x_total", labels: { agent: "orders" }, value: 1 },
    ]);
    expect(b.size).toBe(0);
  });

  it("records an observation in every bucket at or above it, plus sum and count", () => {
    const b = new MetricsBuffer();
    b.observe("d_seconds", { agent: "general" }, 12, [1, 15, 60]);
    const out = Object.fromEntries(b.drain().map((s) => [`${s.name}${labelKey(s.labels)}`, s.value]));
    expect(out).toEqual({
      [`d_seconds_bucket${labelKey({ agent: "general", le: "15" })}`]: 1,
      [`d_seconds_bucket${labelKey({ agent: "general", le: "60" })}`]: 1,
      [`d_seconds_bucket${labelKey({ agent: "general", le: "+Inf" })}`]: 1,
      [`d_seconds_sum${labelKey({ agent: "general" })}`]: 12,
      [`d_seconds_count${labelKey({ agent: "general" })}`]: 1,
    });
  });

  it("restore puts a failed flush back on top of newer deltas", () => {
    const b = new MetricsBuffer();
    b.add("x_total", {}, 2);
    const lost = b.drain();
    b.add("x_total", {}, 1);
    b.restore(lost);
    expect(b.drain()).toEqual([{ name: "x_total", labels: {}, value: 3 }]);
  });

  it("label keys are independent of key order and round-trip", () => {
    expect(labelKey({ b: "2", a: "1" })).toBe(labelKey({ a: "1", b: "2" }));
    expect(labelsFromKey(labelKey({ a: 'q"uote', b: "" }))).toEqual({ a: 'q"uote', b: "" });
  });

  it("tenant agent names are reported as custom; built-in names as they are", () => {
    expect(agentLabel("orders")).toBe("orders");
    expect(agentLabel("acme-secret-project")).toBe("custom");
    expect(agentLabel("constructor")).toBe("custom");
  });
});

describe("Prometheus text", () => {
  it("every family has HELP and TYPE even before any sample, and the text parses strictly", () => {
    const parsed = parsePrometheusText(renderPrometheus(FAMILIES, []));
    expect([...parsed.keys()]).toEqual(FAMILIES.map((f) => f.name));
    for (const f of FAMILIES) {
      expect(parsed.get(f.name)?.type).toBe(f.type);
      expect(parsed.get(f.name)?.help).toBe(f.help);
    }
  });

  it("escapes label values so that any string survives", () => {
    expect(escapeLabelValue('a"b\\c\nd')).toBe('a\\"b\\\\c\\nd');
    const text = renderPrometheus(
      [{ name: "t_total", type: "counter", help: "Help with \\ and\nnewline." }],
      [{ name: "t_total", labels: { reason: 'we\\ird "value"\nhere' }, value: 2 }],
    );
    const parsed = parsePrometheusText(text);
    expect(parsed.get("t_total")?.help).toBe("Help with \\ and\nnewline.");
    expect(sampleValue(parsed, "t_total", "t_total", { reason: 'we\\ird "value"\nhere' })).toBe(2);
  });

  it("renders a histogram with every bucket in order, zeros below the smallest observation", () => {
    const b = new MetricsBuffer();
    b.observe("edgecrew_run_duration_seconds", { agent: "general", status: "succeeded" }, 7);
    b.observe("edgecrew_run_duration_seconds", { agent: "general", status: "succeeded" }, 0.5);
    b.observe("edgecrew_run_duration_seconds", { agent: "orders", status: "failed" }, 100_000);
    const parsed = parsePrometheusText(renderPrometheus(FAMILIES, b.drain()));
    const h = parsed.get("edgecrew_run_duration_seconds")!;
    const bucket = (agent: string, status: string, le: string) => sampleValue(parsed, h.name, `${h.name}_bucket`, { agent, status, le });
    expect(bucket("general", "succeeded", "1")).toBe(1);
    expect(bucket("general", "succeeded", "5")).toBe(1);
    expect(bucket("general", "succeeded", "15")).toBe(2);
    expect(bucket("general", "succeeded", "+Inf")).toBe(2);
    expect(sampleValue(parsed, h.name, `${h.name}_sum`, { agent: "general", status: "succeeded" })).toBe(7.5);
    expect(bucket("orders", "failed", "86400")).toBe(0);
    expect(bucket("orders", "failed", "+Inf")).toBe(1);
  });

  it("series of one family are sorted by labels; unknown names are left out", () => {
    const text = renderPrometheus(FAMILIES, [
      { name: "edgecrew_queue_depth", labels: { lane: "normal" }, value: 3 },
      { name: "edgecrew_queue_depth", labels: { lane: "high" }, value: 1 },
      { name: "not_a_metric", labels: {}, value: 9 },
    ]);
    expect(text).toContain('edgecrew_queue_depth{lane="high"} 1\nedgecrew_queue_depth{lane="normal"} 3\n');
    expect(text).not.toContain("not_a_metric");
  });

  it("formats special values as Prometheus does", () => {
    expect([formatValue(Number.NaN), formatValue(Number.POSITIVE_INFINITY), formatValue(-Infinity), formatValue(0.25)]).toEqual([
      "NaN",
      "+Inf",
      "-Inf",
      "0.25",
    ]);
  });
});
