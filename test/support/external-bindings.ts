// Worker bindings of the workerd projects that run with every external adapter configured
// (workers-external) or configured against broken services (workers-external-broken), all
// pointing at the local stand-ins that global-setup started. No Node imports: read by vitest.config.
import {
  QSTASH_TEST_SIGNING_KEYS,
  QSTASH_TEST_TOKEN,
  SUPABASE_TEST_JWT_SECRET,
  SUPABASE_TEST_SERVICE_KEY,
  UPSTASH_TEST_TOKEN,
} from "./constants";

/** Where QStash deliveries go in tests: a scope of the echo server (the Worker has no address). */
export const QSTASH_ECHO_SCOPE = "qstash-external";

/** The secret API keys and stream tickets are signed with in tests (AUTH_SIGNING_SECRET). */
export const AUTH_TEST_SIGNING_SECRET = "test-signing-secret-for-keys-and-tickets-0123456789";

/** Bindings every workerd project starts from: development mode, scripted model, short leases. */
export function baseBindings(urls: Record<string, string>): Record<string, string> {
  return {
    ENVIRONMENT: "development",
    ADMIN_TOKEN: "test-admin-token",
    DEV_API_KEY: "ec_dev_key",
    AUTH_SIGNING_SECRET: AUTH_TEST_SIGNING_SECRET,
    MODEL_PROVIDER: "scripted",
    LEASE_MS: "3000",
    RETRY_BASE_MS: "200",
    RETRY_MAX_MS: "800",
    SUPPORT_URLS: JSON.stringify(urls),
  };
}

/**
 * Upstash Redis, QStash and Supabase (ledger, archive, JWT) through the local servers. Delays over
 * 1 s go through QStash (QUEUE_DELAY_LIMIT_MS), whose deliveries land in the echo server.
 */
export function externalBindings(urls: Record<string, string>): Record<string, string> {
  return {
    ...baseBindings(urls),
    UPSTASH_REDIS_REST_URL: urls.upstash!,
    UPSTASH_REDIS_REST_TOKEN: UPSTASH_TEST_TOKEN,
    QSTASH_URL: urls.qstash!,
    QSTASH_TOKEN: QSTASH_TEST_TOKEN,
    QSTASH_CURRENT_SIGNING_KEY: QSTASH_TEST_SIGNING_KEYS.current,
    QSTASH_NEXT_SIGNING_KEY: QSTASH_TEST_SIGNING_KEYS.next,
    PUBLIC_URL: `${urls.echo}/echo/${QSTASH_ECHO_SCOPE}`,
    QUEUE_DELAY_LIMIT_MS: "1000",
    SUPABASE_URL: urls.postgrest!,
    SUPABASE_SCHEMA: urls.postgrestSchema!,
    SUPABASE_SERVICE_ROLE_KEY: SUPABASE_TEST_SERVICE_KEY,
    SUPABASE_JWT_SECRET: SUPABASE_TEST_JWT_SECRET,
  };
}

/** Wrong Upstash and QStash tokens, and a Supabase schema without credit_balances.available_credits. */
export function brokenBindings(urls: Record<string, string>): Record<string, string> {
  return {
    ...externalBindings(urls),
    UPSTASH_REDIS_REST_TOKEN: "not-the-upstash-token",
    QSTASH_TOKEN: "not-the-qstash-token",
    SUPABASE_URL: urls.postgrestBroken!,
    SUPABASE_SCHEMA: urls.postgrestBrokenSchema!,
  };
}
