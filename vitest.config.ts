// Five projects: "workers" runs inside workerd through the Cloudflare plugin with the scripted model;
// "workers-claude" runs *.claude.test.ts the same way with the real Anthropic SDK against the fake
// Messages API; "workers-external" (*.external.test.ts) and "workers-external-broken"
// (*.broken.test.ts) run it with Upstash, QStash and Supabase configured (working, then broken);
// "node" runs the local protocol servers' own tests and the adapters against the real Redis and
// Postgres (a Postgres server, or the embedded PGlite when none answers: global-setup.ts).
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig, type TestProjectConfiguration } from "vitest/config";
import { FAKE_ANTHROPIC_API_KEY, FAKE_ANTHROPIC_MODEL } from "./test/support/anthropic-constants";
import { baseBindings, brokenBindings, externalBindings } from "./test/support/external-bindings";
import type { SupportUrls } from "./test/support/global-setup";

const TIMEOUTS = { testTimeout: 30_000, hookTimeout: 30_000 };
/** Loads the Worker before each test file's tests, so its load time is not the first test's. */
const LOAD_WORKER = "./test/helpers/load-worker.ts";
/** Skips a project's tests, with the reason, when the run has no Redis. */
const REQUIRE_REDIS = "./test/helpers/require-redis.ts";

/** A project that runs the Worker inside workerd with the bindings `bindings` builds. */
function workerd(
  name: string,
  include: string[],
  bindings: (urls: SupportUrls) => Record<string, string>,
  options: { exclude?: string[]; setupFiles?: string[] } = {},
): TestProjectConfiguration {
  return {
    plugins: [
      cloudflareTest(({ inject }) => ({
        main: "./src/index.ts",
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: { bindings: bindings(inject("supportUrls")) },
      })),
    ],
    test: {
      name,
      include,
      exclude: [...(options.exclude ?? []), "**/node_modules/**"],
      setupFiles: [LOAD_WORKER, ...(options.setupFiles ?? [])],
      // The test files of a project share one module graph of the Worker instead of loading it
      // again for each file (about 5 s a file). Every test makes its own tenants and runs and
      // asserts on those, so what earlier files left behind does not change an outcome.
      isolate: false,
      ...TIMEOUTS,
    },
  };
}

export default defineConfig({
  test: {
    globalSetup: ["./test/support/global-setup.ts"],
    projects: [
      { test: { name: "node", include: ["test/**/*.node.test.ts"], environment: "node", ...TIMEOUTS } },
      workerd(
        "workers",
        ["test/**/*.test.ts"],
        (urls) => ({ ...baseBindings(urls), RETRY_MAX_MS: "2000", WEBHOOK_RETRY_DELAYS_S: "1,1,1", EVENT_STREAM_KEEPALIVE_MS: "500" }),
        { exclude: ["test/**/*.node.test.ts", "test/**/*.claude.test.ts", "test/**/*.external.test.ts", "test/**/*.broken.test.ts"] },
      ),
      // The same Worker driving the real Anthropic SDK against the local fake Messages API.
      workerd("workers-claude", ["test/**/*.claude.test.ts"], (urls) => ({
        ...baseBindings(urls),
        RETRY_MAX_MS: "2000",
        MODEL_PROVIDER: "anthropic",
        ANTHROPIC_API_KEY: FAKE_ANTHROPIC_API_KEY,
        ANTHROPIC_BASE_URL: urls.anthropic!,
        ANTHROPIC_MODEL: FAKE_ANTHROPIC_MODEL,
      })),
      // The Worker with Upstash Redis, QStash and Supabase configured, through the real SDKs,
      // against the local servers over the real Redis and Postgres. Skipped, loudly, only when no
      // Redis answers outside CI (global-setup.ts).
      workerd("workers-external", ["test/**/*.external.test.ts"], externalBindings, { setupFiles: [REQUIRE_REDIS] }),
      // The same adapters configured against a wrong Upstash token, a wrong QStash token and a
      // Supabase schema missing a column: what /readyz and run creation say.
      workerd("workers-external-broken", ["test/**/*.broken.test.ts"], brokenBindings, { setupFiles: [REQUIRE_REDIS] }),
    ],
  },
});
