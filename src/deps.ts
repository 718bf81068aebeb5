// The one place that reads the environment: configuration values and the choice of adapters
// (embedded Cloudflare-native by default, external services when configured).

import { anthropicModel } from "./adapters/model/anthropic";
import type { ModelClient } from "./adapters/model/port";
import { scriptedModel } from "./adapters/model/scripted";
import { durableHeartbeats } from "./adapters/heartbeats/durable";
import type { Heartbeats } from "./adapters/heartbeats/port";
import type { Pricing } from "./domain/pricing";
import type { RetryConfig } from "./run/retry-policy";

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
  modelProvider: "anthropic" | "scripted";
  anthropicModel: string;
  /** Delays between webhook delivery attempts, seconds (default 1,5,30,120,600,1800,3600,7200). */
  webhookRetryDelaysS: number[];
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

const configs = new WeakMap<object, Config>();

/** The deployment's configuration, parsed once per `env` object. */
export function config(env: Env): Config {
  const hit = configs.get(env);
  if (hit) return hit;
  const provider = setting(env, "MODEL_PROVIDER");
  const cfg: Config = {
    environment: setting(env, "ENVIRONMENT") === "development" ? "development" : "production",
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
    modelProvider:
      provider === "scripted" || provider === "anthropic" ? provider : setting(env, "ANTHROPIC_API_KEY") ? "anthropic" : "scripted",
    anthropicModel: setting(env, "ANTHROPIC_MODEL") ?? "claude-sonnet-5-5",
    webhookRetryDelaysS: (setting(env, "WEBHOOK_RETRY_DELAYS_S") ?? "1,5,30,120,600,1800,3600,7200").split(",").map((s) => Math.max(0, Math.round(Number(s))) || 1),
  };
  configs.set(env, cfg);
  return cfg;
}

const models = new WeakMap<object, ModelClient>();

/** The model adapter: Anthropic when configured, else the offline scripted model. */
export function modelClient(env: Env): ModelClient {
  const hit = models.get(env);
  if (hit) return hit;
  const cfg = config(env);
  let client: ModelClient;
  if (cfg.modelProvider === "anthropic") {
    const key = setting(env, "ANTHROPIC_API_KEY");
    if (!key) throw new Error("MODEL_PROVIDER is anthropic but ANTHROPIC_API_KEY is not set");
    const baseUrl = setting(env, "ANTHROPIC_BASE_URL");
    client = anthropicModel({ apiKey: key, model: cfg.anthropicModel, ...(baseUrl ? { baseUrl } : {}) });
  } else {
    client = scriptedModel();
  }
  models.set(env, client);
  return client;
}

/** The Heartbeats adapter: the embedded Durable Object (Upstash when configured, see issue 7). */
export function heartbeats(env: Env): Heartbeats {
  return durableHeartbeats(env.OPS);
}

/** The queue binding of a priority lane. */
export function laneQueue(env: Env, priority: "high" | "normal" | "low"): Queue {
  switch (priority) {
    case "high":
      return env.RUNS_HIGH;
    case "normal":
      return env.RUNS_NORMAL;
    case "low":
      return env.RUNS_LOW;
  }
}
