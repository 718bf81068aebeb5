// Starts the real Worker locally with wrangler's DevEnv (`startWorker`, Miniflare), for the benchmark
// and for Node tests of what the vitest plugin cannot host (run_code's isolates calling back into
// the Worker, promtool on a real scrape): loopback only, a free port, in-memory state, explicit
// variables, no inspector, no watching. Plus a small client for its API.

import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { unstable_DevEnv } from "wrangler";

/** Where a Worker answers: an origin, and headers every request to it carries. */
export interface Endpoint {
  origin: string;
  headers: Record<string, string>;
}

/** A started Worker: its loopback origin and how to stop it. */
export interface LocalWorker {
  origin: string;
  /**
   * The Worker's own address behind wrangler's development proxy, with the header the proxy adds
   * (null if wrangler did not say within 10 s). Only the benchmark's fan-out uses it: in production
   * there is no such proxy relaying each WebSocket message between a client and the Worker.
   */
  direct: Endpoint | null;
  stop(): Promise<void>;
}

interface ReloadComplete {
  proxyData: { userWorkerUrl: { protocol: string; hostname: string; port: string }; headers?: Record<string, string> };
}

// No network beyond 127.0.0.1: Miniflare would otherwise fetch a `Request.cf` sample and wrangler
// might send telemetry. Both are read when the Worker starts, so setting them here is enough.
process.env.CLOUDFLARE_CF_FETCH_ENABLED = "false";
process.env.WRANGLER_SEND_METRICS = "false";

/**
 * Starts the Worker of `config` (a wrangler.toml path) with `vars` as plain-text bindings, which
 * override the file's `[vars]` and any `.dev.vars`. Resolves once it answers on its port.
 */
export async function startWorker(config: string, vars: Record<string, string>): Promise<LocalWorker> {
  // wrangler refuses to start without the static assets' directory; on a fresh checkout (before
  // `npm run build:assets`) an empty one serves the API alone.
  mkdirSync(resolve(dirname(config), "dist/public"), { recursive: true });
  const bindings = Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, { type: "plain_text" as const, value: v }]));
  const devEnv = new unstable_DevEnv();
  // The Worker's own address arrives with the first reload, after the proxy is ready.
  const direct = new Promise<Endpoint>((resolve) => {
    devEnv.once("reloadComplete", (event: ReloadComplete) => {
      const u = event.proxyData.userWorkerUrl;
      resolve({ origin: `${u.protocol}//${u.hostname}:${u.port}`, headers: event.proxyData.headers ?? {} });
    });
  });
  const worker = await devEnv.startWorker({
    config,
    bindings,
    dev: {
      server: { hostname: "127.0.0.1", port: 0 },
      inspector: false,
      persist: false,
      watch: false,
      remote: false,
      logLevel: "warn",
      generateTypes: false,
    },
  });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await worker.dispose();
  };
  try {
    await worker.ready;
    const url = await worker.url;
    if (url.hostname !== "127.0.0.1") throw new Error(`worker listens on ${url.hostname}, expected 127.0.0.1`);
    const within = new Promise<null>((resolve) => setTimeout(() => resolve(null), 10_000).unref());
    return { origin: url.origin, direct: await Promise.race([direct, within]), stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

export const WORKER_KEY = "ec_dev_sandbox_tests";
export const WORKER_ADMIN = "sandbox-tests-admin";

/** Starts edgecrew from wrangler.toml in development with the scripted model. */
export function startEdgecrew(): Promise<LocalWorker> {
  return startWorker("wrangler.toml", {
    ENVIRONMENT: "development",
    ADMIN_TOKEN: WORKER_ADMIN,
    DEV_API_KEY: WORKER_KEY,
    MODEL_PROVIDER: "scripted",
  });
}

/** A client of one started Worker. */
export function client(origin: string, key = WORKER_KEY) {
  const call = (path: string, init: RequestInit & { json?: unknown } = {}) => {
    const headers = new Headers(init.headers);
    if (!headers.has("authorization")) headers.set("authorization", `Bearer ${key}`);
    let body = init.body;
    if (init.json !== undefined) {
      body = JSON.stringify(init.json);
      headers.set("content-type", "application/json");
    }
    return fetch(`${origin}${path}`, { ...init, headers, body });
  };
  const getJson = async (path: string): Promise<any> => (await call(path)).json();
  return {
    call,
    getJson,
    async createRun(body: Record<string, unknown>): Promise<any> {
      const res = await call("/v1/runs", { method: "POST", json: body });
      if (res.status !== 202) throw new Error(`create failed: ${res.status} ${await res.text()}`);
      return res.json();
    },
    /** Polls the run until `until` holds (default: a final status). */
    async waitForRun(
      id: string,
      until: (run: any) => boolean = (r) => ["succeeded", "failed", "canceled", "expired", "dead"].includes(r.status),
    ) {
      const deadline = Date.now() + 60_000;
      let run: any;
      while (Date.now() < deadline) {
        run = await getJson(`/v1/runs/${id}`);
        if (until(run)) return run;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`run ${id} did not settle in time; last status ${run?.status}`);
    },
    async events(id: string): Promise<any[]> {
      return (await getJson(`/v1/runs/${id}/logs?limit=1000`)).events;
    },
  };
}
