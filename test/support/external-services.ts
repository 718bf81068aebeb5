// Starts the stand-ins of the external services for the whole test run: the Upstash REST gateway
// (its own key prefix), the QStash emulator and the PostgREST gateway over a migrated database
// `edgecrew_test`. Called from global-setup.ts; credentials are the fixed ones of constants.ts.
import { applyMigrations } from "../../scripts/migrations";
import {
  QSTASH_TEST_SIGNING_KEYS,
  QSTASH_TEST_TOKEN,
  SUPABASE_TEST_DATABASE,
  SUPABASE_TEST_SERVICE_KEY,
  UPSTASH_TEST_TOKEN,
} from "./constants";
import { ensureDatabase, TEST_ADMIN_DATABASE_URL, TEST_REDIS_URL, uniqueKeyPrefix } from "./local-services";
import { startPostgrestGateway } from "./postgrest-gateway";
import { startQStashEmulator } from "./qstash-emulator";
import { startUpstashGateway } from "./upstash-gateway";

/** The running stand-ins and how to stop them. */
export interface ExternalServices {
  /** upstash, qstash and postgrest base URLs. */
  urls: { upstash: string; qstash: string; postgrest: string };
  stop(): Promise<void>;
}

/** Starts all three; fails (rather than skipping anything) when Redis or Postgres is down. */
export async function startExternalServices(): Promise<ExternalServices> {
  const stops: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const fn of stops.reverse()) await fn();
  };
  try {
    const upstash = await startUpstashGateway({ token: UPSTASH_TEST_TOKEN, redisUrl: TEST_REDIS_URL, keyPrefix: uniqueKeyPrefix("run") });
    stops.push(() => upstash.close());
    const qstash = await startQStashEmulator({
      token: QSTASH_TEST_TOKEN,
      currentSigningKey: QSTASH_TEST_SIGNING_KEYS.current,
      nextSigningKey: QSTASH_TEST_SIGNING_KEYS.next,
      timeScale: 0.01,
    });
    stops.push(() => qstash.close());
    const databaseUrl = await ensureDatabase(TEST_ADMIN_DATABASE_URL, SUPABASE_TEST_DATABASE);
    await applyMigrations({ databaseUrl });
    const postgrest = await startPostgrestGateway({ databaseUrl, serviceKey: SUPABASE_TEST_SERVICE_KEY });
    stops.push(() => postgrest.close());
    return { urls: { upstash: upstash.url, qstash: qstash.url, postgrest: postgrest.url }, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
