// The real Worker started by wrangler (unstable_startWorker) for node tests of what the vitest
// plugin cannot host: run_code's isolates call back into the Worker's WorkspaceFiles entrypoint
// through `exports`, which only the real runtime serves. Plus a small client for its API.

import { type LocalWorker, startWorker } from "../../bench/start-worker";

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
