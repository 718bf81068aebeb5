// Starts the local protocol servers once for the whole test run and provides their URLs to the
// tests (workerd tests read them from the SUPPORT_URLS binding, Node tests from inject()). Chooses
// the run's Postgres and checks Redis first; a run without Redis says so at its start and its end.
import type { TestProject } from "vitest/node";
import { choosePostgres, probeRedis } from "./backing-services";
import { startBrokenSupabase } from "./broken-supabase";
import { startEchoServer } from "./echo-server";
import { startExternalServices } from "./external-services";
import { startFakeAnthropic } from "./fake-anthropic";
import { TEST_REDIS_URL } from "./local-services";
import { REDIS_MISSING_KEY, REDIS_START_COMMAND } from "./redis-requirement";

export interface SupportUrls {
  [name: string]: string;
}

declare module "vitest" {
  export interface ProvidedContext {
    supportUrls: SupportUrls;
  }
}

type Stopper = () => Promise<void>;

function banner(lines: string[]): string {
  const rule = "=".repeat(100);
  return `\n${rule}\n${lines.map((l) => `  ${l}`).join("\n")}\n${rule}\n`;
}

export default async function setup(project: TestProject): Promise<Stopper> {
  const urls: SupportUrls = {};
  const stops: Stopper[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop();
  };
  let redisMissing: string | null = null;
  try {
    const postgres = await choosePostgres();
    stops.push(() => postgres.stop());
    console.log(`[test setup] ${postgres.summary}`);
    // Published for the Node test workers, which start after this (local-services.ts reads them).
    process.env.TEST_DATABASE_URL = postgres.databaseUrl;
    process.env.TEST_ADMIN_DATABASE_URL = postgres.adminUrl;
    process.env.TEST_POSTGRES_EMBEDDED = postgres.kind === "embedded" ? "1" : "0";

    redisMissing = await probeRedis(TEST_REDIS_URL);
    if (redisMissing && process.env.CI === "true") {
      throw new Error(`Redis is required when CI=true: ${redisMissing}. Start one with: ${REDIS_START_COMMAND}`);
    }
    if (redisMissing) {
      urls[REDIS_MISSING_KEY] = redisMissing;
      console.warn(banner([`Redis-backed tests will NOT run: ${redisMissing}.`, `Start one with: ${REDIS_START_COMMAND}`]));
    }

    // Each local server registers itself here: urls.<name> = its base URL; stops.push(its close).
    const anthropic = await startFakeAnthropic();
    urls.anthropic = anthropic.url;
    stops.push(() => anthropic.close());
    const echo = await startEchoServer();
    urls.echo = echo.url;
    stops.push(() => echo.close());
    const external = await startExternalServices({ redis: redisMissing === null });
    Object.assign(urls, external.urls);
    stops.push(() => external.stop());
    const broken = await startBrokenSupabase();
    urls.postgrestBroken = broken.url;
    urls.postgrestBrokenSchema = broken.schema;
    stops.push(() => broken.stop());
  } catch (err) {
    await stopAll();
    throw err;
  }
  project.provide("supportUrls", urls);
  return async () => {
    await stopAll();
    if (redisMissing) {
      console.warn(
        banner([
          `NOT RUN: the Redis-backed tests (Upstash gateway and heartbeats, workers-external, workers-external-broken).`,
          `Reason: ${redisMissing}.`,
          `Start Redis with: ${REDIS_START_COMMAND}  (with CI=true they fail instead)`,
        ]),
      );
    }
  };
}
