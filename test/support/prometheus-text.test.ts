// The strict Prometheus text parser used by the /metrics tests: what it accepts and rejects.
import { describe, expect, it } from "vitest";
import { ExpositionError, parsePrometheusText, sampleValue } from "./prometheus-text";

const valid = `# HELP http_requests_total Requests served.\\nBy code.
# TYPE http_requests_total counter
http_requests_total{code="200",path="/a\\"b\\\\c\\nd"} 1027 1395066363000
http_requests_total{code="400"} 3
# a free comment
# HELP latency_seconds Latency.
# TYPE latency_seconds histogram
latency_seconds_bucket{le="0.5"} 1
latency_seconds_bucket{le="1"} 3
latency_seconds_bucket{le="+Inf"} 4
latency_seconds_sum 5.5
latency_seconds_count 4
# TYPE temperature gauge
temperature -3.5e2
temperature{room="b",} NaN
untyped_thing +Inf
`;

const rejects = (text: string, message: RegExp) => expect(() => parsePrometheusText(text)).toThrow(message);

describe("strict Prometheus text parser", () => {
  it("parses families, types, help, escaped labels, histograms, gauges and untyped samples", () => {
    const f = parsePrometheusText(valid);
    expect([...f.keys()]).toEqual(["http_requests_total", "latency_seconds", "temperature", "untyped_thing"]);
    expect(f.get("http_requests_total")?.help).toBe("Requests served.\nBy code.");
    expect(f.get("http_requests_total")?.samples[0]).toEqual({
      name: "http_requests_total",
      labels: { code: "200", path: '/a"b\\c\nd' },
      value: 1027,
      timestamp: 1395066363000,
    });
    expect(f.get("latency_seconds")?.type).toBe("histogram");
    expect(sampleValue(f, "latency_seconds", "latency_seconds_bucket", { le: "1" })).toBe(3);
    expect(sampleValue(f, "temperature", "temperature", {})).toBe(-350);
    expect(Number.isNaN(sampleValue(f, "temperature", "temperature", { room: "b" }))).toBe(true);
    expect(f.get("untyped_thing")?.type).toBe("untyped");
  });

  it("an empty exposition and a family with no samples are fine", () => {
    expect(parsePrometheusText("").size).toBe(0);
    expect(parsePrometheusText("# HELP a_total A.\n# TYPE a_total counter\n").get("a_total")?.samples).toEqual([]);
  });

  it("rejects a missing final line feed", () => rejects("a 1", /line feed/));
  it("rejects unknown escapes in label values and help", () => {
    rejects('a{x="\\t"} 1\n', /invalid escape/);
    rejects("# HELP a bad \\t\n", /invalid escape/);
  });
  it("rejects an unterminated label value and a missing comma", () => {
    rejects('a{x="1} 2\n', /unterminated|expected/);
    rejects('a{x="1" y="2"} 2\n', /expected , or }/);
  });
  it("rejects reserved and repeated label names", () => {
    rejects('a{__x="1"} 1\n', /reserved/);
    rejects('a{x="1",x="2"} 1\n', /twice/);
  });
  it("rejects bad values, timestamps and spacing", () => {
    rejects("a one\n", /invalid number/);
    rejects("a 1 soon\n", /invalid timestamp/);
    rejects("a  1\n", /one space/);
    rejects("a\n", /one space/);
  });
  it("rejects a family split over two places and duplicate series", () => {
    rejects('a 1\nb 1\na{x="1"} 2\n', /split/);
    rejects("a 1\na 2\n", /duplicate/);
  });
  it("rejects a second HELP or TYPE, TYPE after samples and unknown types", () => {
    rejects("# HELP a x\n# HELP a y\n", /second HELP/);
    rejects("# TYPE a gauge\n# TYPE a counter\n", /second TYPE/);
    rejects("a 1\n# TYPE a gauge\n", /after its samples/);
    rejects("# TYPE a meter\n", /unknown type/);
  });
  it("rejects negative and NaN counters", () => {
    rejects("# TYPE a_total counter\na_total -1\n", /non-negative/);
    rejects("# TYPE a_total counter\na_total NaN\n", /non-negative/);
  });
  it("rejects histograms without +Inf, out of order, not cumulative, or with a wrong count", () => {
    const h = (body: string) => `# TYPE h histogram\n${body}`;
    rejects(h('h_bucket{le="1"} 1\nh_sum 1\nh_count 1\n'), /\+Inf/);
    rejects(h('h_bucket{le="2"} 1\nh_bucket{le="1"} 1\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n'), /increasing/);
    rejects(h('h_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n'), /cumulative/);
    rejects(h('h_bucket{le="+Inf"} 2\nh_sum 1\nh_count 1\n'), /_count differs/);
    rejects(h('h_bucket{le="+Inf"} 1\nh_count 1\n'), /_sum/);
    rejects(h("h 1\n"), /bare sample/);
  });
  it("reports the line of the first violation", () => {
    try {
      parsePrometheusText("ok 1\nbad value\n");
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ExpositionError);
      expect((e as ExpositionError).line).toBe(2);
    }
  });
});
