// A strict parser of the Prometheus text exposition format (0.0.4) for tests: it rejects what a
// lenient scraper would let through (bad escapes, split families, duplicate series, bad histograms).
// No Node or Workers imports, so it runs in workerd and Node alike.

export type FamilyType = "counter" | "gauge" | "histogram" | "summary" | "untyped";

export interface ParsedSample {
  name: string;
  labels: Record<string, string>;
  value: number;
  timestamp?: number;
}

export interface ParsedFamily {
  name: string;
  type: FamilyType;
  help: string | null;
  samples: ParsedSample[];
}

/** Thrown for any violation, with the 1-based line number. */
export class ExpositionError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message}`);
    this.name = "ExpositionError";
  }
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES: readonly FamilyType[] = ["counter", "gauge", "histogram", "summary", "untyped"];

function parseFloatStrict(raw: string, line: number): number {
  if (raw === "NaN") return Number.NaN;
  if (raw === "+Inf" || raw === "Inf") return Number.POSITIVE_INFINITY;
  if (raw === "-Inf") return Number.NEGATIVE_INFINITY;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(raw)) throw new ExpositionError(line, `invalid number '${raw}'`);
  return Number(raw);
}

function unescapeText(raw: string, allowed: Record<string, string>, line: number): string {
  let out = "";
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c !== "\\") {
      out += c;
      continue;
    }
    const next = raw[++i];
    const mapped = next === undefined ? undefined : allowed[next];
    if (mapped === undefined) throw new ExpositionError(line, `invalid escape '\\${next ?? ""}'`);
    out += mapped;
  }
  return out;
}

/** Parses `name{labels} value [timestamp]`. */
function parseSample(text: string, line: number): ParsedSample {
  const nameMatch = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(text);
  if (!nameMatch) throw new ExpositionError(line, "a sample must start with a metric name");
  const name = nameMatch[0];
  let i = name.length;
  const labels: Record<string, string> = {};
  if (text[i] === "{") {
    i++;
    for (;;) {
      if (text[i] === "}") {
        i++;
        break;
      }
      const ln = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(text.slice(i));
      if (!ln) throw new ExpositionError(line, "expected a label name");
      const label = ln[0];
      if (label.startsWith("__")) throw new ExpositionError(line, `label name '${label}' is reserved`);
      if (Object.hasOwn(labels, label)) throw new ExpositionError(line, `label '${label}' appears twice`);
      i += label.length;
      if (text.slice(i, i + 2) !== '="') throw new ExpositionError(line, `expected =" after label '${label}'`);
      i += 2;
      let raw = "";
      for (;;) {
        const c = text[i];
        if (c === undefined) throw new ExpositionError(line, "unterminated label value");
        if (c === "\\") {
          raw += c + (text[i + 1] ?? "");
          i += 2;
          continue;
        }
        i++;
        if (c === '"') break;
        raw += c;
      }
      labels[label] = unescapeText(raw, { "\\": "\\", '"': '"', n: "\n" }, line);
      if (text[i] === ",") i++;
      else if (text[i] !== "}") throw new ExpositionError(line, "expected , or } after a label value");
    }
  }
  const rest = text.slice(i);
  const parts = rest.split(" ");
  if (parts[0] !== "" || parts.length < 2 || parts.length > 3 || parts.some((p, k) => k > 0 && p === "")) {
    throw new ExpositionError(line, "expected one space, a value and an optional timestamp after the series");
  }
  const value = parseFloatStrict(parts[1]!, line);
  if (parts[2] === undefined) return { name, labels, value };
  if (!/^-?\d+$/.test(parts[2])) throw new ExpositionError(line, `invalid timestamp '${parts[2]}'`);
  return { name, labels, value, timestamp: Number(parts[2]) };
}

function familyOf(sample: string, declared: Map<string, ParsedFamily>): string {
  for (const suffix of ["_bucket", "_sum", "_count"]) {
    if (!sample.endsWith(suffix)) continue;
    const base = sample.slice(0, -suffix.length);
    const f = declared.get(base);
    if (f && (f.type === "histogram" || (f.type === "summary" && suffix !== "_bucket"))) return base;
  }
  return sample;
}

function checkHistogram(f: ParsedFamily, line: number): void {
  const groups = new Map<string, { buckets: [number, number][]; count?: number; sum?: number }>();
  for (const s of f.samples) {
    const { le, ...rest } = s.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    const g = groups.get(key) ?? { buckets: [] };
    groups.set(key, g);
    if (s.name === `${f.name}_bucket`) {
      if (le === undefined) throw new ExpositionError(line, `${f.name}_bucket without an le label`);
      g.buckets.push([parseFloatStrict(le, line), s.value]);
    } else if (s.name === `${f.name}_count`) g.count = s.value;
    else if (s.name === `${f.name}_sum`) g.sum = s.value;
    else throw new ExpositionError(line, `sample ${s.name} does not belong to histogram ${f.name}`);
  }
  for (const g of groups.values()) {
    for (let k = 1; k < g.buckets.length; k++) {
      if (!(g.buckets[k]![0] > g.buckets[k - 1]![0])) throw new ExpositionError(line, `${f.name}: buckets not in increasing le order`);
      if (g.buckets[k]![1] < g.buckets[k - 1]![1]) throw new ExpositionError(line, `${f.name}: bucket counts are not cumulative`);
    }
    const inf = g.buckets[g.buckets.length - 1];
    if (!inf || inf[0] !== Number.POSITIVE_INFINITY) throw new ExpositionError(line, `${f.name}: missing the +Inf bucket`);
    if (g.count === undefined || g.sum === undefined) throw new ExpositionError(line, `${f.name}: missing _count or _sum`);
    if (g.count !== inf[1]) throw new ExpositionError(line, `${f.name}: _count differs from the +Inf bucket`);
  }
}

/** Parses an exposition; throws ExpositionError at the first violation. */
export function parsePrometheusText(text: string): Map<string, ParsedFamily> {
  if (text.length > 0 && !text.endsWith("\n"))
    throw new ExpositionError(text.split("\n").length, "the last line must end with a line feed");
  const families = new Map<string, ParsedFamily>();
  const closed = new Set<string>();
  const seen = new Set<string>();
  let current: ParsedFamily | null = null;
  const open = (name: string, line: number): ParsedFamily => {
    if (current?.name === name) return current;
    if (closed.has(name) || families.has(name)) throw new ExpositionError(line, `family ${name} is split: its lines must be together`);
    if (current) closed.add(current.name);
    current = { name, type: "untyped", help: null, samples: [] };
    families.set(name, current);
    return current;
  };
  const lines = text.split("\n");
  lines.pop();
  lines.forEach((raw, idx) => {
    const line = idx + 1;
    if (raw.trim() === "") return;
    if (raw.startsWith("#")) {
      const m = /^# (HELP|TYPE) (\S+)(?: (.*))?$/.exec(raw);
      if (!m) return; // any other comment
      const [, kind, name, rest] = m;
      if (!METRIC_NAME.test(name!)) throw new ExpositionError(line, `invalid metric name '${name}'`);
      const f = open(name!, line);
      if (kind === "HELP") {
        if (f.help !== null) throw new ExpositionError(line, `second HELP for ${name}`);
        f.help = unescapeText(rest ?? "", { "\\": "\\", n: "\n" }, line);
      } else {
        if (f.samples.length > 0) throw new ExpositionError(line, `TYPE of ${name} after its samples`);
        if (!TYPES.includes(rest as FamilyType)) throw new ExpositionError(line, `unknown type '${rest}'`);
        if (f.type !== "untyped" && f.type !== rest) throw new ExpositionError(line, `second TYPE for ${name}`);
        f.type = rest as FamilyType;
      }
      return;
    }
    const sample = parseSample(raw, line);
    for (const l of Object.keys(sample.labels)) if (!LABEL_NAME.test(l)) throw new ExpositionError(line, `invalid label name '${l}'`);
    const f = open(familyOf(sample.name, families), line);
    const id = `${sample.name}${JSON.stringify(Object.entries(sample.labels).sort())}`;
    if (seen.has(id)) throw new ExpositionError(line, `duplicate series ${sample.name}`);
    seen.add(id);
    if (f.type === "counter" && (sample.name !== f.name || !(sample.value >= 0))) {
      throw new ExpositionError(line, `counter ${f.name}: sample must be named after it and non-negative`);
    }
    if (f.type === "histogram" && sample.name === f.name) throw new ExpositionError(line, `histogram ${f.name}: bare sample`);
    f.samples.push(sample);
  });
  for (const f of families.values()) if (f.type === "histogram") checkHistogram(f, lines.length);
  return families;
}

/** The value of one series, or undefined when absent. */
export function sampleValue(
  families: Map<string, ParsedFamily>,
  family: string,
  name: string,
  labels: Record<string, string>,
): number | undefined {
  const want = JSON.stringify(Object.entries(labels).sort());
  return families.get(family)?.samples.find((s) => s.name === name && JSON.stringify(Object.entries(s.labels).sort()) === want)?.value;
}
