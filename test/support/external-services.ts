// Starts the stand-ins of the external services for the whole test run: the Upstash REST gateway
// (its own key prefix), the QStash emulator and the PostgREST gateway over a migrated schema of the
// run's own in database `edgecrew_test`. Called from global-setup.ts; credentials are the fixed
// ones of constants.ts.
import {
  QSTASH_TEST_SIGNING_KEYS,
  QSTASH_TEST_TOKEN,
  SUPABASE_TEST_DATABASE,
  SUPABASE_TEST_SERVICE_KEY,
  UPSTASH_TEST_TOKEN,
} from "./constants";
import { createTestSchema, ensureDatabase, TEST_REDIS_URL, testAdminDatabaseUrl, uniqueKeyPrefix } from "./local-services";
import { startPostgrestGateway } from "./postgrest-gateway";
import { startQStashEmulator } from "./qstash-emulator";
import { startUpstashGateway } from "./upstash-gateway";

/** Where the Upstash URL points when no Redis answers: nothing listens there (port 9, discard). */
export const NO_UPSTASH_URL = "http://127.0.0.1:9/no-redis";

/** The running stand-ins and how to stop them. */
export interface ExternalServices {
  /** upstash, qstash and postgrest base URLs, and the schema the PostgREST gateway exposes. */
  urls: { upstash: string; qstash: string; postgrest: string; postgrestSchema: string };
  stop(): Promise<void>;
}

/**
 * Starts all three. Without Redis (`redis: false`) the Upstash gateway is not started and its URL
 * leads nowhere: the Redis-backed tests are skipped by then. Fails when Postgres is down.
 */
export async function startExternalServices(opts: { redis: boolean }): Promise<ExternalServices> {
  const stops: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const fn of stops.reverse()) await fn();
  };
  try {
    let upstashUrl = NO_UPSTASH_URL;
    if (opts.redis) {
      const upstash = await startUpstashGateway({ token: UPSTASH_TEST_TOKEN, redisUrl: TEST_REDIS_URL, keyPrefix: uniqueKeyPrefix("run") });
      stops.push(() => upstash.close());
      upstashUrl = upstash.url;
    }
    const qstash = await startQStashEmulator({
      token: QSTASH_TEST_TOKEN,
      currentSigningKey: QSTASH_TEST_SIGNING_KEYS.current,
      nextSigningKey: QSTASH_TEST_SIGNING_KEYS.next,
      timeScale: 0.01,
    });
    stops.push(() => qstash.close());
    // A schema of this run's own: concurrent test runs on one server never see each other's rows
    // or migrations.
    const databaseUrl = await ensureDatabase(testAdminDatabaseUrl(), SUPABASE_TEST_DATABASE);
    const db = await createTestSchema("run", true, databaseUrl);
    stops.push(() => db.drop());
    const postgrest = await startPostgrestGateway({ databaseUrl, serviceKey: SUPABASE_TEST_SERVICE_KEY, schema: db.schema });
    stops.push(() => postgrest.close());
    return { urls: { upstash: upstashUrl, qstash: qstash.url, postgrest: postgrest.url, postgrestSchema: db.schema }, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
