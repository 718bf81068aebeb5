// The edgecrew side of the benchmark: a tenant with credits through the admin API, then short
// runs, each followed to success, and the platform cost counters of each batch's successes read after it.

import { call, pollUntil } from "./http";
import { pool } from "./pool";
import { errored, type LoadSettings, type RunSample, type Side } from "./sample";

/** What the run cost by object (`RunObject.costs`, `GET /v1/admin/runs/:id/cost`), and in dollars. */
export interface RunCost {
  run_requests: number;
  run_rows: number;
  queue_messages: number;
  tenant_requests: number;
  tenant_rows: number;
  alarm_writes: number;
  /** The run's `cost.usd.platform` (GET /v1/runs/:id): list prices unless PRICE_* are set. */
  usd_platform: number;
}

/** What the successful runs cost, one entry per run. */
export interface EdgecrewCosts {
  counters: RunCost[];
  /** Each run's journal: its events and their JSON size (bytes). */
  journals: Journal[];
  /** Successes whose counters were gone when read (the object had been evicted). */
  countersLost: number;
  /**
   * What the objects every run shares cost while the measured runs ran (`GET /v1/admin/shared/cost`
   * before the first and after the last): the consumers' heartbeats in the ops object and the
   * metrics flushes; null for one whose object restarted in between (its counts are in memory).
   */
  shared: { heartbeats: SharedShare | null; metrics: SharedShare | null; runs: number };
}

export interface SharedShare {
  requests: number;
  rows: number;
}

interface CallCosts {
  requests: number;
  rows_written: number;
  since: string;
}

interface SharedCosts {
  heartbeats: CallCosts;
  /** One per shard, in shard order. */
  metrics: CallCosts[];
}

/**
 * What an object counted between two reads. One that restarted in between (a new `since`) counted
 * only since then: exact if it has counted nothing since (it was idle and evicted), else unknown.
 */
function difference(before: CallCosts, after: CallCosts): SharedShare | null {
  if (before.since === after.since) return { requests: after.requests - before.requests, rows: after.rows_written - before.rows_written };
  return after.requests === 0 ? { requests: 0, rows: 0 } : null;
}

/** The shards' differences added up; unknown if any is. */
function sum(parts: (SharedShare | null)[]): SharedShare | null {
  if (parts.some((p) => p === null)) return null;
  return (parts as SharedShare[]).reduce((a, p) => ({ requests: a.requests + p.requests, rows: a.rows + p.rows }), {
    requests: 0,
    rows: 0,
  });
}

export interface Journal {
  events: number;
  bytes: number;
}

interface LogEvent {
  type: string;
}

interface RunView {
  id: string;
  status: string;
  created_at: string | null;
  started_at: string | null;
  finished_at: string | null;
  error: { code: string; message: string } | null;
}

const SETTLE_MS = 300;
/** Cost reads in flight after a batch. */
const READ_CONCURRENCY = 5;
const FINAL = new Set(["succeeded", "failed", "canceled", "expired", "dead"]);
const ms = (iso: string | null) => (iso === null ? null : Date.parse(iso));

/** Creates a tenant holding `credits` and returns an API key for it. */
export async function createTenant(origin: string, adminToken: string, credits: number): Promise<{ tenant: string; key: string }> {
  const tenant = `bench-${Date.now().toString(36)}`;
  await call(origin, "/v1/admin/tenants", { token: adminToken, body: { id: tenant, name: "Benchmark", credits } });
  const issued = await call<{ id: string; key: string }>(origin, `/v1/admin/tenants/${tenant}/keys`, { token: adminToken, method: "POST" });
  return { tenant, key: issued.key };
}

/** Creates one run and follows it until it is final, the run's time limit or the deadline. */
async function oneRun(origin: string, key: string, load: LoadSettings): Promise<RunSample> {
  const started = Date.now();
  let id = "";
  try {
    const created = await call<RunView>(origin, "/v1/runs", { token: key, body: { agent: "general", input: load.input } });
    id = created.id;
    const createMs = Date.now() - started;
    const deadline = Math.min(load.deadline, started + load.runTimeoutMs);
    const seen = await pollUntil(
      () => call<RunView>(origin, `/v1/runs/${id}`, { token: key }),
      (run) => FINAL.has(run.status),
      load.pollMs,
      deadline,
    );
    const run = seen.value;
    const status = seen.timedOut || !run ? "timeout" : run.status;
    const created_at = ms(run?.created_at ?? null);
    const started_at = ms(run?.started_at ?? null);
    const finished_at = ms(run?.finished_at ?? null);
    return {
      id,
      status,
      ok: status === "succeeded",
      endToEndMs: seen.at - started,
      createMs,
      serverMs: created_at !== null && finished_at !== null ? finished_at - created_at : null,
      queueWaitMs: created_at !== null && started_at !== null ? started_at - created_at : null,
      seenAfterMs: finished_at !== null ? seen.at - finished_at : null,
      ...(run?.error ? { error: `${run.error.code}: ${run.error.message}` } : {}),
    };
  } catch (e) {
    return errored(id, started, e);
  }
}

/** A run's cost counters and journal size, read shortly after it was seen finished (`seenAt`). */
async function readCost(
  origin: string,
  adminToken: string,
  key: string,
  id: string,
  seenAt: number,
): Promise<{ cost: RunCost; journal: Journal }> {
  // The final settlement's share and the alarm removal come just after the status is visible:
  // wait a moment. Read before the idle object is evicted (the settlement's share and the alarm
  // writes are in memory until the run row's next write; locally eviction is about 10 s after).
  const wait = seenAt + SETTLE_MS - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  const parts = await call<Omit<RunCost, "usd_platform">>(origin, `/v1/admin/runs/${id}/cost`, { token: adminToken });
  const view = await call<{ cost: { usd: { platform: number } } }>(origin, `/v1/runs/${id}`, { token: key });
  const cost = { ...parts, usd_platform: view.cost.usd.platform };
  const { events } = await call<{ events: LogEvent[] }>(origin, `/v1/runs/${id}/logs?limit=100`, { token: key });
  const bytes = events.reduce((n, e) => n + JSON.stringify(e).length, 0);
  return { cost, journal: { events: events.length, bytes } };
}

/**
 * The edgecrew side against the Worker at `origin`: creates a tenant with enough credits for
 * `load`, then each `run()` is one run of `load.input`; the counters of measured successes are
 * read in the background as they finish.
 */
export async function edgecrewSide(origin: string, adminToken: string, load: LoadSettings): Promise<Side<EdgecrewCosts>> {
  // Each run reserves the general agent's max_credits (100) until it settles; keep a margin.
  const { key } = await createTenant(origin, adminToken, (load.runs + 2 * load.warmup + load.concurrency) * 100);
  // Measured successes whose costs are not read yet, and the reads made. The reads are the
  // benchmark's own requests: they run after each batch (`afterBatch`), outside its wall time
  // and CPU, which count the runs' work alone, as on the Workflows side.
  let unread: { id: string; seenAt: number }[] = [];
  const read: { cost: RunCost; journal: Journal }[] = [];
  const readBatch = async () => {
    const batch = unread;
    unread = [];
    read.push(...(await pool(batch.length, READ_CONCURRENCY, (i) => readCost(origin, adminToken, key, batch[i]!.id, batch[i]!.seenAt))));
  };
  const sharedCost = () => call<SharedCosts>(origin, "/v1/admin/shared/cost", { token: adminToken });
  let sharedBefore: Promise<SharedCosts> | null = null;
  let measuredRuns = 0;
  return {
    name: "edgecrew",
    async run(measured) {
      if (measured) {
        sharedBefore ??= sharedCost();
        await sharedBefore;
        measuredRuns++;
      }
      const sample = await oneRun(origin, key, load);
      if (measured && sample.ok) unread.push({ id: sample.id, seenAt: Date.now() });
      return sample;
    },
    afterBatch: readBatch,
    async costs() {
      await readBatch();
      // An object evicted before its counters were read lost the final settlement's share: leave those out.
      const kept = read.filter((r) => r.cost.tenant_requests >= 2);
      const before = sharedBefore ? await sharedBefore : null;
      const after = await sharedCost();
      const shared = {
        heartbeats: before && difference(before.heartbeats, after.heartbeats),
        metrics: before && sum(after.metrics.map((a, i) => (before.metrics[i] ? difference(before.metrics[i], a) : null))),
        runs: measuredRuns,
      };
      return {
        counters: kept.map((r) => r.cost),
        journals: kept.map((r) => r.journal),
        countersLost: read.length - kept.length,
        shared,
      };
    },
  };
}
