// `npm run bench`: short edgecrew runs against the real Worker started locally, and the same runs
// as a Cloudflare Workflow (bench/workflow), in alternating rounds; prints latency and platform cost.
// Options: --runs 120 --concurrency 5 --rounds 4 --warmup 2 --poll-ms 25 --time-limit 240
// --only edgecrew|workflow, --lane-batch-timeout S (what-if: the run lanes' max_batch_timeout),
// --subscribers 100 (the fan-out of one run's live stream; 0 skips it), --fanout-via direct|proxy
// (subscribers connect to the Worker itself, or through wrangler's development proxy).

import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { withLaneBatchTimeout } from "../bench/config-variant";
import { cpuMs, workerdDescendants } from "../bench/cpu";
import { createTenant, type EdgecrewCosts, edgecrewSide } from "../bench/edgecrew-runs";
import { type FanoutResult, fanoutLines, measureFanout } from "../bench/fanout";
import { measure } from "../bench/measure";
import { renderReport } from "../bench/report";
import type { LoadSettings, Side } from "../bench/sample";
import { type WorkflowCosts, workflowSide } from "../bench/workflow-runs";
import { type LocalWorker, startWorker } from "../test/support/local-worker";

const ADMIN_TOKEN = "bench-admin-token";
/** Signs the API key the benchmark issues itself (AUTH_SIGNING_SECRET, at least 32 characters). */
const AUTH_SIGNING_SECRET = "bench-signing-secret-0123456789abcdef";
const root = resolve(import.meta.dirname, "..");

function int(name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name} must be an integer from ${min} to ${max}, got ${raw}`);
  return n;
}

function settings() {
  const opt = { type: "string" } as const;
  const { values: v } = parseArgs({
    options: {
      runs: opt,
      concurrency: opt,
      rounds: opt,
      warmup: opt,
      "poll-ms": opt,
      "time-limit": opt,
      only: opt,
      "lane-batch-timeout": opt,
      subscribers: opt,
      "fanout-via": opt,
    },
  });
  const only = v.only ?? null;
  if (only !== null && only !== "edgecrew" && only !== "workflow") throw new Error(`--only must be edgecrew or workflow, got ${only}`);
  const timeLimitS = int("time-limit", v["time-limit"], 240, 30, 1800);
  const load: LoadSettings = {
    // 120 runs in 4 rounds: batches of 30 per side, long enough that the side in steady state is
    // measured rather than its warm-up and the tail of a short batch (docs/benchmarks.md).
    runs: int("runs", v.runs, 120, 1, 500),
    concurrency: int("concurrency", v.concurrency, 5, 1, 50),
    warmup: int("warmup", v.warmup, 2, 0, 20),
    pollMs: int("poll-ms", v["poll-ms"], 25, 5, 5000),
    runTimeoutMs: 60_000,
    // Nothing new starts after this; set once the clock starts.
    deadline: Number.POSITIVE_INFINITY,
    input: "- look up\n- summarise",
  };
  const rounds = Math.min(int("rounds", v.rounds, 4, 1, 20), load.runs);
  const laneBatchTimeoutS = v["lane-batch-timeout"] === undefined ? null : int("lane-batch-timeout", v["lane-batch-timeout"], 0, 0, 60);
  const subscribers = int("subscribers", v.subscribers, 100, 0, 1000);
  const fanoutVia = v["fanout-via"] ?? "direct";
  if (fanoutVia !== "direct" && fanoutVia !== "proxy") throw new Error(`--fanout-via must be direct or proxy, got ${fanoutVia}`);
  return { load, only, rounds, timeLimitS, laneBatchTimeoutS, subscribers, fanoutVia };
}

const running = new Set<LocalWorker>();
const cleanups: (() => Promise<void>)[] = [];

async function stopAll(): Promise<void> {
  for (const w of running) {
    running.delete(w);
    await w.stop().catch((e: unknown) => console.error("bench: stopping a local worker failed", e));
  }
  for (const c of cleanups.splice(0)) await c().catch((e: unknown) => console.error("bench: cleanup failed", e));
}

async function start(config: string, vars: Record<string, string>): Promise<LocalWorker> {
  const worker = await startWorker(config, vars);
  running.add(worker);
  return worker;
}

async function main(): Promise<void> {
  const { load, only, rounds, timeLimitS, laneBatchTimeoutS, subscribers, fanoutVia } = settings();
  load.deadline = Date.now() + timeLimitS * 1000;
  // Whatever happens, the process ends shortly after the time limit, its workers stopped.
  setTimeout(
    () => {
      console.error(`bench: time limit of ${timeLimitS} s passed; stopping`);
      void stopAll().finally(() => process.exit(2));
    },
    timeLimitS * 1000 + 20_000,
  ).unref();
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      console.error(`bench: ${signal}; stopping local workers`);
      void stopAll().finally(() => process.exit(130));
    });
  }

  const sides: Side<unknown>[] = [];
  let edge: Side<EdgecrewCosts> | null = null;
  let flow: Side<WorkflowCosts> | null = null;
  let edgeOrigin: string | null = null;
  let edgeDirect: LocalWorker["direct"] = null;
  let edgePids = new Set<number>();
  try {
    if (only !== "workflow") {
      let config = resolve(root, "wrangler.toml");
      if (laneBatchTimeoutS !== null) {
        const variant = await withLaneBatchTimeout(config, laneBatchTimeoutS);
        cleanups.push(variant.dispose);
        config = variant.path;
      }
      const vars = {
        ENVIRONMENT: "development",
        ADMIN_TOKEN,
        AUTH_SIGNING_SECRET,
        DEV_API_KEY: "ec_dev_bench",
        MODEL_PROVIDER: "scripted",
      };
      const worker = await start(config, vars);
      console.error(`bench: edgecrew at ${worker.origin}`);
      edgeOrigin = worker.origin;
      edgeDirect = worker.direct;
      edge = await edgecrewSide(worker.origin, ADMIN_TOKEN, load);
      edgePids = workerdDescendants();
      edge.cpuMs = () => cpuMs(edgePids);
      sides.push(edge);
    }
    if (only !== "edgecrew") {
      const worker = await start(resolve(root, "bench/workflow/wrangler.toml"), {});
      console.error(`bench: Workflows baseline at ${worker.origin}`);
      flow = workflowSide(worker.origin, load);
      // Its own workerd process: the ones started since edgecrew's.
      const pids = new Set([...workerdDescendants()].filter((p) => !edgePids.has(p)));
      flow.cpuMs = () => cpuMs(pids);
      sides.push(flow);
    }
    console.error(`bench: ${load.warmup} warm-up + ${load.runs} runs per side in ${rounds} alternating rounds …`);
    const measured = await measure(sides, load, rounds);
    const at = (side: Side<unknown> | null) => (side ? measured[sides.indexOf(side)]! : null);
    const edgeM = at(edge);
    const flowM = at(flow);
    const report = renderReport({
      load,
      rounds,
      laneBatchTimeoutS,
      edge: edge && edgeM ? { ...edgeM, costs: await edge.costs() } : null,
      flow: flow && flowM ? { ...flowM, costs: await flow.costs() } : null,
    });
    console.log(report);
    let fanout: FanoutResult | null = null;
    if (edgeOrigin && subscribers > 0) {
      // To the Worker itself unless asked otherwise (or wrangler did not give its address): the
      // development proxy relays every message of every socket, a hop production does not have.
      const via = fanoutVia === "direct" ? edgeDirect : null;
      console.error(`bench: fan-out to ${subscribers} subscribers (${via ? "to the Worker itself" : "through wrangler's proxy"}) …`);
      const { key } = await createTenant(edgeOrigin, ADMIN_TOKEN, 1000);
      fanout = await measureFanout(edgeOrigin, key, subscribers, via ?? undefined);
      console.log(`\n${fanoutLines(fanout).join("\n")}`);
    }
    const incomplete = fanout !== null && fanout.complete < fanout.subscribers;
    process.exitCode = measured.some((m) => m.samples.some((s) => !s.ok)) || incomplete ? 1 : 0;
  } finally {
    await stopAll();
  }
}

main().catch(async (e: unknown) => {
  console.error("bench failed:", e);
  await stopAll();
  process.exit(1);
});
