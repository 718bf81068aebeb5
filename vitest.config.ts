// Five projects: "workers" runs inside workerd through the Cloudflare plugin with the scripted model;
// "workers-claude" runs *.claude.test.ts the same way with the real Anthropic SDK against the fake
// Messages API; "workers-external" (*.external.test.ts) and "workers-external-broken"
// (*.broken.test.ts) run it with Upstash, QStash and Supabase configured (working, then broken);
// "node" runs the local protocol servers' own tests and the adapters against the real Redis and Postgres.
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { FAKE_ANTHROPIC_API_KEY, FAKE_ANTHROPIC_MODEL } from "./test/support/anthropic-constants";
import { brokenBindings, externalBindings } from "./test/support/external-bindings";

export default defineConfig({
  test: {
    globalSetup: ["./test/support/global-setup.ts"],
    projects: [
      {
        test: {
          name: "node",
          include: ["test/**/*.node.test.ts"],
          environment: "node",
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
      {
        plugins: [
          cloudflareTest(({ inject }) => ({
            main: "./src/index.ts",
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              bindings: {
                ENVIRONMENT: "development",
                ADMIN_TOKEN: "test-admin-token",
                DEV_API_KEY: "ec_dev_key",
                MODEL_PROVIDER: "scripted",
                LEASE_MS: "3000",
                RETRY_BASE_MS: "200",
                RETRY_MAX_MS: "2000",
                WEBHOOK_RETRY_DELAYS_S: "1,1,1",
                SUPPORT_URLS: JSON.stringify(inject("supportUrls")),
              },
            },
          })),
        ],
        test: {
          name: "workers",
          include: ["test/**/*.test.ts"],
          exclude: [
            "test/**/*.node.test.ts",
            "test/**/*.claude.test.ts",
            "test/**/*.external.test.ts",
            "test/**/*.broken.test.ts",
            "**/node_modules/**",
          ],
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
      // The same Worker driving the real Anthropic SDK against the local fake Messages API.
      {
        plugins: [
          cloudflareTest(({ inject }) => ({
            main: "./src/index.ts",
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              bindings: {
                ENVIRONMENT: "development",
                ADMIN_TOKEN: "test-admin-token",
                DEV_API_KEY: "ec_dev_key",
                MODEL_PROVIDER: "anthropic",
                ANTHROPIC_API_KEY: FAKE_ANTHROPIC_API_KEY,
                ANTHROPIC_BASE_URL: inject("supportUrls").anthropic!,
                ANTHROPIC_MODEL: FAKE_ANTHROPIC_MODEL,
                LEASE_MS: "3000",
                RETRY_BASE_MS: "200",
                RETRY_MAX_MS: "2000",
                SUPPORT_URLS: JSON.stringify(inject("supportUrls")),
              },
            },
          })),
        ],
        test: {
          name: "workers-claude",
          include: ["test/**/*.claude.test.ts"],
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
      // The Worker with Upstash Redis, QStash and Supabase configured, through the real SDKs,
      // against the local servers over the real Redis and Postgres. Never skipped.
      {
        plugins: [
          cloudflareTest(({ inject }) => ({
            main: "./src/index.ts",
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: { bindings: externalBindings(inject("supportUrls")) },
          })),
        ],
        test: { name: "workers-external", include: ["test/**/*.external.test.ts"], testTimeout: 30_000, hookTimeout: 30_000 },
      },
      // The same adapters configured against a wrong Upstash token, a wrong QStash token and a
      // Supabase schema missing a column: what /readyz and run creation say.
      {
        plugins: [
          cloudflareTest(({ inject }) => ({
            main: "./src/index.ts",
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: { bindings: brokenBindings(inject("supportUrls")) },
          })),
        ],
        test: { name: "workers-external-broken", include: ["test/**/*.broken.test.ts"], testTimeout: 30_000, hookTimeout: 30_000 },
      },
    ],
  },
});
