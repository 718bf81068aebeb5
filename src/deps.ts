// The one place that reads the environment: configuration values and the choice of adapters
// (embedded Cloudflare-native by default, external services when configured).

import type { RunArchive } from "./adapters/archive/port";
import { supabaseArchive } from "./adapters/archive/supabase";
import type { QueueCounters } from "./adapters/counters/port";
import { upstashCounters } from "./adapters/counters/upstash";
import { durableHeartbeats } from "./adapters/heartbeats/durable";
import type { Heartbeats } from "./adapters/heartbeats/port";
import { upstashHeartbeats } from "./adapters/heartbeats/upstash";
import { durableLedger } from "./adapters/ledger/durable";
import type { CreditLedger } from "./adapters/ledger/port";
import { createSupabaseServiceClient, SupabaseLedgerError, type SupabaseServiceClient, supabaseLedger } from "./adapters/ledger/supabase";
import { anthropicModel } from "./adapters/model/anthropic";
import type { ModelClient } from "./adapters/model/port";
import { scriptedModel } from "./adapters/model/scripted";
import { type AdapterCheck, supabaseReadiness } from "./adapters/readiness";
import { durableScheduler } from "./adapters/scheduler/durable";
import { durableReplayCache } from "./adapters/scheduler/durable-replay";
import type { Scheduler } from "./adapters/scheduler/port";
import { qstashScheduler } from "./adapters/scheduler/qstash";
import type { ReplayCache } from "./adapters/scheduler/qstash-receiver";
import { type ExternalSettings, externalSettings } from "./adapters/settings";
import { r2WorkspaceStore } from "./adapters/workspace/r2";
import type { Prices } from "./domain/costs";
import { ApiError } from "./domain/errors";
import { LANE_BINDINGS, QUEUE_DELAY_MAX_MS } from "./domain/lanes";
import type { Pricing } from "./domain/pricing";
import type { Priority } from "./domain/types";
import { countModelCalls } from "./ops/isolate-metrics";
import { log } from "./ops/log";
import type { RetryConfig } from "./run/retry-policy";
import { parseWorkspaceLimits, type WorkspaceLimits } from "./workspace/limits";
import { type RunScope, RunWorkspace } from "./workspace/run-workspace";

export interface Config {
  environment: "development" | "production";
  adminToken: string | null;
  devApiKey: string | null;
  pricing: Pricing;
  retry: RetryConfig;
  /** How long one queue invocation may run steps before handing off (ms, default 30000). */
  invocationBudgetMs: number;
  /** How long a worker's claim on a run lasts without a commit or renewal (ms, default 60000). */
  leaseMs: number;
  rateLimits: { runsPerMinute: number; requestsPerMinute: number };
  /** The model runs use, or why none can (see `modelSelection`). */
  model: ModelSelection;
  anthropicModel: string;
  /** Delays between webhook delivery attempts, seconds (default 1,5,30,120,600,1800,3600,7200). */
  webhookRetryDelaysS: number[];
  /**
   * Longest delay sent as a queue `delaySeconds` (ms, default and maximum 12 h, Cloudflare
   * Queues' limit); longer ones go to the Scheduler (QStash when configured, else the run's alarm).
   */
  queueDelayLimitMs: number;
  /** What platform operations and model tokens cost, US dollars per million (PRICE_* variables). */
  prices: Prices;
}

type RawEnv = Record<string, unknown>;

/** An optional string setting: unset and empty both mean "not configured". */
export function setting(env: Env, name: string): string | null {
  const v = (env as unknown as RawEnv)[name];
  return typeof v === "string" && v.trim() !== "" ? v.trim() : null;
}

function num(env: Env, name: string, fallback: number): number {
  const raw = setting(env, name);
  if (raw === null) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number`);
  return n;
}

/** Time between the keep-alive comments of an event stream over SSE (ms, default 15000). */
export function eventStreamKeepAliveMs(env: Env): number {
  return Math.max(100, num(env, "EVENT_STREAM_KEEPALIVE_MS", 15_000));
}

const configs = new WeakMap<object, Config>();

/** The deployment's configuration, parsed once per `env` object. */
export function config(env: Env): Config {
  const hit = configs.get(env);
  if (hit) return hit;
  const environment = setting(env, "ENVIRONMENT") === "development" ? "development" : "production";
  const cfg: Config = {
    environment,
    adminToken: setting(env, "ADMIN_TOKEN"),
    devApiKey: setting(env, "DEV_API_KEY"),
    pricing: {
      perThousandInput: num(env, "CREDITS_PER_1K_INPUT", 1),
      perThousandOutput: num(env, "CREDITS_PER_1K_OUTPUT", 5),
      perRun: num(env, "CREDITS_PER_RUN", 1),
    },
    retry: {
      maxAttempts: num(env, "RETRY_MAX_ATTEMPTS", 5),
      baseMs: num(env, "RETRY_BASE_MS", 1000),
      maxMs: num(env, "RETRY_MAX_MS", 300_000),
    },
    invocationBudgetMs: num(env, "INVOCATION_BUDGET_MS", 30_000),
    leaseMs: num(env, "LEASE_MS", 60_000),
    rateLimits: {
      runsPerMinute: num(env, "RATE_LIMIT_RUNS_PER_MIN", 600),
      requestsPerMinute: num(env, "RATE_LIMIT_REQUESTS_PER_MIN", 6000),
    },
    model: selectModel(environment, setting(env, "MODEL_PROVIDER"), setting(env, "ANTHROPIC_API_KEY") !== null),
    anthropicModel: setting(env, "ANTHROPIC_MODEL") ?? "claude-sonnet-5-5",
    webhookRetryDelaysS: (setting(env, "WEBHOOK_RETRY_DELAYS_S") ?? "1,5,30,120,600,1800,3600,7200")
      .split(",")
      .map((s) => Math.max(0, Math.round(Number(s))) || 1),
    queueDelayLimitMs: Math.min(num(env, "QUEUE_DELAY_LIMIT_MS", QUEUE_DELAY_MAX_MS), QUEUE_DELAY_MAX_MS),
    // Defaults: list prices (docs/operations.md, "What a run costs").
    prices: {
      durableObjectRequest: num(env, "PRICE_DO_REQUESTS_PER_MILLION", 0.15),
      rowWritten: num(env, "PRICE_ROWS_WRITTEN_PER_MILLION", 1.0),
      queueOperation: num(env, "PRICE_QUEUE_OPERATIONS_PER_MILLION", 0.4),
      inputToken: num(env, "PRICE_INPUT_TOKENS_PER_MILLION", 3.0),
      outputToken: num(env, "PRICE_OUTPUT_TOKENS_PER_MILLION", 15.0),
      cacheWriteToken: num(env, "PRICE_CACHE_WRITE_TOKENS_PER_MILLION", 3.75),
      cacheReadToken: num(env, "PRICE_CACHE_READ_TOKENS_PER_MILLION", 0.3),
    },
  };
  configs.set(env, cfg);
  return cfg;
}

/** The model runs use, or what is missing (no secret in either text). */
export type ModelSelection = { ok: true; provider: "anthropic" | "scripted" } | { ok: false; problem: string; fix: string };

const KEY_OR_SCRIPTED =
  "set ANTHROPIC_API_KEY (wrangler secret put ANTHROPIC_API_KEY) to run agents with Claude, or MODEL_PROVIDER=scripted to run the offline scripted model";

/**
 * Chooses the model: `MODEL_PROVIDER` when set (`anthropic` needs `ANTHROPIC_API_KEY`), else
 * Anthropic when a key is set. Without either, development falls back to the offline scripted
 * model; production has no model (a deployment never answers with the scripted model by accident).
 */
function selectModel(environment: Config["environment"], provider: string | null, hasKey: boolean): ModelSelection {
  if (provider === "scripted") return { ok: true, provider: "scripted" };
  if (provider === "anthropic") {
    return hasKey
      ? { ok: true, provider: "anthropic" }
      : { ok: false, problem: "MODEL_PROVIDER is anthropic but ANTHROPIC_API_KEY is not set", fix: KEY_OR_SCRIPTED };
  }
  if (provider !== null) {
    // The value is not echoed: /readyz is public, and a misplaced secret must not show there.
    return { ok: false, problem: "MODEL_PROVIDER is set to an unknown value: it must be anthropic or scripted", fix: KEY_OR_SCRIPTED };
  }
  if (hasKey) return { ok: true, provider: "anthropic" };
  if (environment === "development") return { ok: true, provider: "scripted" };
  return { ok: false, problem: "no model is configured: ANTHROPIC_API_KEY is not set (production)", fix: KEY_OR_SCRIPTED };
}

/** The model runs use in this deployment, or what is missing; read by /readyz and run creation. */
export function modelSelection(env: Env): ModelSelection {
  return config(env).model;
}

const unavailableModel = (sel: { problem: string; fix: string }) =>
  new ApiError("unavailable", `no model to run agents: ${sel.problem}; fix: ${sel.fix}`);

/** Throws `unavailable` naming what is missing when no model is configured (nothing else done). */
export function assertModelConfigured(env: Env): void {
  const sel = modelSelection(env);
  if (!sel.ok) throw unavailableModel(sel);
}

const models = new WeakMap<object, ModelClient>();

/**
 * The model adapter of `modelSelection`: Anthropic or the offline scripted model, its calls counted
 * for /metrics. Throws `unavailable` when none is configured (a queued run's delivery is then
 * retried, and the error names the fix in the log).
 */
export function modelClient(env: Env): ModelClient {
  const hit = models.get(env);
  if (hit) return hit;
  const cfg = config(env);
  if (!cfg.model.ok) throw unavailableModel(cfg.model);
  let client: ModelClient;
  if (cfg.model.provider === "anthropic") {
    const baseUrl = setting(env, "ANTHROPIC_BASE_URL");
    const apiKey = setting(env, "ANTHROPIC_API_KEY") ?? "";
    client = anthropicModel({ apiKey, model: cfg.anthropicModel, ...(baseUrl ? { baseUrl } : {}) });
  } else {
    client = scriptedModel();
  }
  // Every call is counted for /metrics (edgecrew_model_calls_total by outcome).
  client = countModelCalls(client);
  models.set(env, client);
  return client;
}

/** Per `env` object: its external adapter settings and the adapters built from them. */
interface Wiring {
  settings: ExternalSettings;
  heartbeats?: Heartbeats;
  counters?: QueueCounters | null;
  scheduler?: Scheduler | null;
  supabase?: SupabaseServiceClient | null;
  ledger?: CreditLedger | null;
  archive?: RunArchive | null;
}

const wirings = new WeakMap<object, Wiring>();

function wiring(env: Env): Wiring {
  let w = wirings.get(env);
  if (!w) {
    w = { settings: externalSettings((name) => setting(env, name)) };
    wirings.set(env, w);
  }
  return w;
}

/**
 * Which external services are configured, with any half-configured one listed in `errors` (the
 * variables it lacks). Read by /readyz; the adapter functions below throw those errors instead.
 */
export function externalAdapters(env: Env): ExternalSettings {
  return wiring(env).settings;
}

/** Throws the configuration error of `name` if it is half configured (never a silent fallback). */
function assertConfigured(w: Wiring, name: keyof ExternalSettings["errors"]): void {
  const problem = w.settings.errors[name];
  if (problem) throw new ApiError("unavailable", `${problem.problem}; fix: ${problem.fix}`);
}

/** The Heartbeats adapter: Upstash Redis when configured, else the embedded Durable Object. */
export function heartbeats(env: Env): Heartbeats {
  const w = wiring(env);
  if (w.heartbeats) return w.heartbeats;
  assertConfigured(w, "upstash");
  const upstash = w.settings.upstash;
  w.heartbeats = upstash ? upstashHeartbeats(upstash) : durableHeartbeats(env.OPS);
  return w.heartbeats;
}

/**
 * The QueueCounters adapter (Upstash Redis) when configured, else null: the tenant object's run
 * index then computes the queue counts itself.
 */
export function queueCounters(env: Env): QueueCounters | null {
  const w = wiring(env);
  if (w.counters !== undefined) return w.counters;
  assertConfigured(w, "upstash");
  const upstash = w.settings.upstash;
  w.counters = upstash ? upstashCounters({ url: upstash.url, token: upstash.token }) : null;
  return w.counters;
}

/**
 * The external Scheduler (QStash) when configured, else null: a run's own lane messages then wait
 * in the run's alarm (`wake_at`), which costs no other object.
 */
export function externalScheduler(env: Env): Scheduler | null {
  const w = wiring(env);
  if (w.scheduler !== undefined) return w.scheduler;
  assertConfigured(w, "qstash");
  const q = w.settings.qstash;
  w.scheduler = q ? qstashScheduler({ token: q.token, baseUrl: q.baseUrl, publicUrl: q.publicUrl }) : null;
  return w.scheduler;
}

/** The Scheduler for delays past the queue limit: QStash when configured, else the OpsObject "scheduler". */
export function scheduler(env: Env): Scheduler {
  return externalScheduler(env) ?? durableScheduler(env.OPS);
}

/** Where verified QStash deliveries are remembered (the OpsObject), so a replay is refused. */
export function qstashReplays(env: Env): ReplayCache {
  return durableReplayCache(env.OPS);
}

/** The service-role Supabase client when the Supabase ledger is configured, else null. */
export function supabaseClient(env: Env): SupabaseServiceClient | null {
  const w = wiring(env);
  if (w.supabase !== undefined) return w.supabase;
  assertConfigured(w, "supabase");
  const s = w.settings.supabase;
  w.supabase = s ? createSupabaseServiceClient(s) : null;
  return w.supabase;
}

/**
 * The external CreditLedger (Supabase) when configured, else null: the tenant object then keeps
 * the ledger itself. Failures surface as `unavailable` API errors naming the fix.
 */
export function externalLedger(env: Env): CreditLedger | null {
  const w = wiring(env);
  if (w.ledger !== undefined) return w.ledger;
  const client = supabaseClient(env);
  const s = w.settings.supabase;
  w.ledger = client && s ? unavailableOnFailure(supabaseLedger(s), () => supabaseReadiness(w.settings, client)) : null;
  return w.ledger;
}

/** The CreditLedger the API reads and tops up: Supabase when configured, else the tenant objects. */
export function creditLedger(env: Env): CreditLedger {
  return externalLedger(env) ?? durableLedger(env.TENANTS);
}

/** The RunArchive for final runs: Supabase when configured, else null (the run object keeps it). */
export function runArchive(env: Env): RunArchive | null {
  const w = wiring(env);
  if (w.archive !== undefined) return w.archive;
  const client = supabaseClient(env);
  w.archive = client ? supabaseArchive(client) : null;
  return w.archive;
}

/**
 * Supabase ledger errors become `unavailable` API errors (message and fix kept, never a key). A
 * missing schema object is named by the readiness check (a function's error names the function,
 * not the column it lacks).
 */
function unavailableOnFailure(ledger: CreditLedger, schemaCheck: () => Promise<AdapterCheck>): CreditLedger {
  const wrap =
    <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      try {
        return await fn(...args);
      } catch (err) {
        if (err instanceof SupabaseLedgerError && err.code !== "invalid_argument") {
          log.error("ledger.error", "Supabase credit ledger failed", { code: err.code, error: err.message });
          const check = err.code === "schema_missing" ? await schemaCheck() : null;
          const reason = check && !check.ok ? `${check.problem}; fix: ${check.fix}` : err.message;
          throw new ApiError("unavailable", `credit ledger (Supabase) unavailable: ${reason}`);
        }
        throw err;
      }
    };
  return {
    reserve: wrap(ledger.reserve),
    charge: wrap(ledger.charge),
    release: wrap(ledger.release),
    topUp: wrap(ledger.topUp),
    balance: wrap(ledger.balance),
    ledger: wrap(ledger.ledger),
  };
}

/** The queue of a priority lane (its binding from LANE_BINDINGS). */
export function laneQueue(env: Env, priority: Priority): Queue {
  return env[LANE_BINDINGS[priority]];
}

const limitsByEnv = new WeakMap<object, WorkspaceLimits>();

/** The deployment's workspace limits (WORKSPACE_MAX_FILE_BYTES, _RUN_BYTES, _FILES), parsed once per `env`. */
export function workspaceLimits(env: Env): WorkspaceLimits {
  let limits = limitsByEnv.get(env);
  if (!limits) {
    limits = parseWorkspaceLimits((name) => setting(env, name));
    limitsByEnv.set(env, limits);
  }
  return limits;
}

/** A run's workspace: its files in the WORKSPACE bucket (R2), under the deployment's limits. */
export function runWorkspace(env: Env, scope: RunScope): RunWorkspace {
  return new RunWorkspace(r2WorkspaceStore(env.WORKSPACE), scope, workspaceLimits(env));
}
