// Renders the benchmark's figures as plain-text tables: latency of both sides, edgecrew's
// per-run platform cost against the platform minimum, and what can be counted for Workflows.

import { cpus } from "node:os";
import type { EdgecrewCosts, RunCost, SharedShare } from "./edgecrew-runs";
import type { Measured } from "./measure";
import type { LoadSettings, RunSample } from "./sample";
import { mean, summarise } from "./stats";
import type { WorkflowCosts } from "./workflow-runs";

export interface ReportInput {
  load: LoadSettings;
  rounds: number;
  /** Set when edgecrew ran with another run-lane `max_batch_timeout` than wrangler.toml's. */
  laneBatchTimeoutS: number | null;
  edge: (Measured & { costs: EdgecrewCosts }) | null;
  flow: (Measured & { costs: WorkflowCosts }) | null;
}

const fmt = (n: number, digits = 0) => (Number.isNaN(n) ? "–" : n.toFixed(digits));

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  return [line(head), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

/** Mean, min and max of one figure over the measured runs, as "mean (min–max)". */
function spread(values: number[], digits = 1): string {
  if (values.length === 0) return "–";
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const exact = (n: number) => fmt(n, Number.isInteger(n) ? 0 : digits);
  return lo === hi ? exact(lo) : `${fmt(mean(values), digits)} (${exact(lo)}–${exact(hi)})`;
}

type Line = [label: string, pick: (s: RunSample) => number | null];

function latencyRows(name: string, samples: RunSample[], lines: Line[]): string[][] {
  const ok = samples.filter((s) => s.ok);
  return lines.map(([label, pick]) => {
    const s = summarise(ok.flatMap((x) => pick(x) ?? []));
    return [`${name} ${label}`, fmt(s.p50), fmt(s.p95), fmt(s.mean), fmt(s.max), `${ok.length}/${samples.length}`];
  });
}

function throughputRow(name: string, m: Measured): string[] {
  const ok = m.samples.filter((s) => s.ok).length;
  return [
    name,
    fmt(m.wallMs / 1000, 1),
    fmt(ok / (m.wallMs / 1000), 1),
    fmt(m.cpuMs / Math.max(1, ok), 1),
    m.loadAvg.map((l) => fmt(l, 1)).join(" "),
  ];
}

/** edgecrew's figure over the Workflow's, as "1.23×"; "–" without both. */
function ratio(a: number, b: number): string {
  return Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}×` : "–";
}

function failures(name: string, samples: RunSample[]): string[] {
  const skipped = samples.filter((s) => s.status === "skipped").length;
  const failed = samples.filter((s) => !s.ok && s.status !== "skipped");
  return [
    ...failed.map((s) => `  ${name} ${s.id}: ${s.status}${s.error ? ` (${s.error})` : ""}`),
    ...(skipped > 0 ? [`  ${name}: ${skipped} runs not started, the time limit had passed`] : []),
  ];
}

/** The tables, ready to print. Either side may be absent (`--only`). */
export function renderReport({ load, rounds, laneBatchTimeoutS, edge, flow }: ReportInput): string {
  const out: string[] = [];
  if (laneBatchTimeoutS !== null && edge) {
    out.push(`WHAT-IF: edgecrew ran with max_batch_timeout = ${laneBatchTimeoutS} s on its run lanes, not wrangler.toml's value.`);
  }
  out.push(
    `${load.runs} runs per side of ${JSON.stringify(load.input)} (agent general, scripted model, 2 plan steps),`,
    `${load.concurrency} in flight, in ${rounds} alternating rounds after ${load.warmup} warm-up runs; status polled every ${load.pollMs} ms.`,
    "Local figures (wrangler + Miniflare on this machine, in-memory state) are indicative only: production",
    "latencies differ. The counts of calls, messages and writes are what a run does anywhere.",
    "",
  );

  const rows: string[][] = [];
  if (edge) {
    rows.push(
      ...latencyRows("edgecrew ", edge.samples, [
        ["end to end (client: create → seen succeeded)", (s) => s.endToEndMs],
        ["create request (POST /v1/runs → 202)", (s) => s.createMs],
        ["server (created_at → finished_at)", (s) => s.serverMs],
        ["of which queue wait (created_at → started_at)", (s) => s.queueWaitMs],
        ["finished_at → seen by the client", (s) => s.seenAfterMs],
      ]),
    );
  }
  if (flow) {
    rows.push(
      ...latencyRows("Workflows", flow.samples, [
        ["end to end (client: create → seen complete)", (s) => s.endToEndMs],
        ["create request (POST /instances → 201)", (s) => s.createMs],
        ["server (create → last step done)", (s) => s.serverMs],
        ["last step done → seen by the client", (s) => s.seenAfterMs],
      ]),
    );
  }
  out.push("Latency (ms)", table(["", "p50", "p95", "mean", "max", "ok"], rows), "");

  const throughput = [...(edge ? [throughputRow("edgecrew", edge)] : []), ...(flow ? [throughputRow("Workflows", flow)] : [])];
  out.push(
    `Throughput while measured (load avg: 1-minute load after each round, ${cpus().length} cores shared;`,
    "CPU: user + system time of the side's workerd process during its batches, per successful run)",
    table(["", "wall s", "runs/s", "CPU ms/run", "load avg"], throughput),
  );
  if (edge && flow) {
    const rate = (m: Measured) => m.samples.filter((s) => s.ok).length / (m.wallMs / 1000);
    const cpu = (m: Measured) => m.cpuMs / Math.max(1, m.samples.filter((s) => s.ok).length);
    out.push(
      `edgecrew / Workflows: throughput ${ratio(rate(edge), rate(flow))} (target ≥ 1.25×), CPU per run ${ratio(cpu(edge), cpu(flow))} (target ≤ 1.00×)`,
    );
  }
  out.push("");

  if (edge) out.push(edgecrewCost(edge.costs), "");
  if (flow) out.push(workflowCost(flow.costs), "");

  const failed = [...(edge ? failures("edgecrew", edge.samples) : []), ...(flow ? failures("Workflows", flow.samples) : [])];
  if (failed.length > 0) out.push("Runs that did not succeed:", ...failed, "");
  return out.join("\n");
}

function edgecrewCost({ counters, journals, countersLost, shared }: EdgecrewCosts): string {
  const pick = (k: keyof RunCost) => counters.map((c) => c[k]);
  // The consumers' heartbeats (ops object) and the metrics flushes, as those objects counted them
  // while the measured runs ran: shared by those runs, not part of any one run's cost field.
  const share = (part: SharedShare | null, k: keyof SharedShare) => (part && shared.runs > 0 ? fmt(part[k] / shared.runs, 2) : "unknown");
  const requests = counters.map((c) => c.run_requests + c.tenant_requests);
  const rows = [
    ["Durable Object requests, the run's cost field", spread(requests), "1"],
    ["  into the run object: init, claim, commits, renewals, alarms", spread(pick("run_requests")), ""],
    ["  into the tenant object: createRun, syncRun", spread(pick("tenant_requests")), ""],
    ["  plus, shared: consumer heartbeats into the ops object", share(shared.heartbeats, "requests"), ""],
    ["  plus, shared: metrics flushes into the metrics store", share(shared.metrics, "requests"), ""],
    ["Queue messages sent (lane)", spread(pick("queue_messages")), "1"],
    ["SQLite rows written, total", spread(counters.map((c) => c.run_rows + c.tenant_rows)), "1"],
    ["  by the run object (tables of a new object included)", spread(pick("run_rows")), ""],
    ["  by the tenant object (index, ledger, metrics, webhooks)", spread(pick("tenant_rows")), ""],
    ["  plus, shared: by the heartbeats in the ops object", share(shared.heartbeats, "rows"), ""],
    ["  plus, shared: by the metrics flushes in the metrics store", share(shared.metrics, "rows"), ""],
    ["Alarm writes (set or delete)", spread(pick("alarm_writes")), "0"],
    ["Platform $ per million runs (cost.usd.platform × 10^6)", spread(counters.map((c) => c.usd_platform * 1e6)), ""],
    ["Journal events", spread(journals.map((j) => j.events)), ""],
    [
      "Journal events, JSON bytes",
      spread(
        journals.map((j) => j.bytes),
        0,
      ),
      "",
    ],
  ];
  return [
    `edgecrew cost per run (mean, with min–max when runs differ; ${counters.length} runs). Client reads are not counted.`,
    table(["", "per run", "platform minimum"], rows),
    "Prices: the PRICE_* defaults in wrangler.toml (list prices). Workers requests and CPU time are billed on both sides and not included.",
    ...(countersLost > 0 ? [`${countersLost} runs left out: their object was evicted before its counters were read.`] : []),
  ].join("\n");
}

function workflowCost({ persisted }: WorkflowCosts): string {
  const rows = [
    ["Instance creations (a Workflow invocation, billed as a request)", "1"],
    ["Platform $ per million runs beyond Workers requests and CPU", "not observable"],
    ["step.do results persisted (one state write each)", spread(persisted.map((p) => p.steps))],
    [
      "Persisted step state, JSON bytes",
      spread(
        persisted.map((p) => p.bytes),
        0,
      ),
    ],
  ];
  return [
    `Workflows cost per instance (${persisted.length} instances). Status polls are not counted.`,
    table(["", "per instance"], rows),
    "Workflows bills requests, CPU time and stored state. How many Durable Object calls, rows or alarms its",
    "engine uses inside is not observable (locally the engine is part of Miniflare), so none are shown.",
  ].join("\n");
}
