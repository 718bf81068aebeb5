// Starts the real Worker locally with wrangler's unstable_startWorker (Miniflare), for the benchmark
// and for Node tests of what the vitest plugin cannot host (run_code's isolates calling back into
// the Worker, promtool on a real scrape): loopback only, a free port, in-memory state, explicit
// variables, no inspector, no watching. Plus a small client for its API.

import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { unstable_startWorker } from "wrangler";

/** A started Worker: its loopback origin and how to stop it. */
export interface LocalWorker {
  origin: string;
  stop(): Promise<void>;
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
  const worker = await unstable_startWorker({
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
    return { origin: url.origin, stop };
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
