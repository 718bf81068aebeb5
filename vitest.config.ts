// Two projects: "workers" runs inside workerd through the Cloudflare plugin; "node" runs the local
// protocol servers' own tests and the adapters against the real Redis and Postgres.
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

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
                SUPPORT_URLS: JSON.stringify(inject("supportUrls")),
              },
            },
          })),
        ],
        test: {
          name: "workers",
          include: ["test/**/*.test.ts"],
          exclude: ["test/**/*.node.test.ts", "**/node_modules/**"],
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
    ],
  },
});
