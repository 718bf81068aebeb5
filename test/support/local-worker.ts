// Starts the real Worker locally with wrangler's unstable_startWorker (Miniflare), for the benchmark
// and for Node tests: loopback only, a free port, in-memory state, explicit variables, no inspector,
// no watching.

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
