// Fixed credentials of the local protocol servers (test/support/*). Test-only values, shared by the
// Node tests and, through SUPPORT_URLS plus this module, by the workerd tests. No Node imports here.

/** Bearer token of the local Upstash Redis REST gateway. */
export const UPSTASH_TEST_TOKEN = "upstash-test-token";

/** Bearer token of the local QStash emulator. */
export const QSTASH_TEST_TOKEN = "qstash-test-token";

/** Signing keys the QStash emulator signs deliveries with (current first, next after rotation). */
export const QSTASH_TEST_SIGNING_KEYS = {
  current: "sig_current_test_key",
  next: "sig_next_test_key",
} as const;

/** Service role key accepted by the local PostgREST gateway (sent as `apikey` and bearer token). */
export const SUPABASE_TEST_SERVICE_KEY = "supabase-test-service-role-key";

/** Database the whole test run migrates once and serves through the shared PostgREST gateway. */
export const SUPABASE_TEST_DATABASE = "edgecrew_test";

/** HS256 secret the workerd tests sign Supabase JWTs with (SUPABASE_JWT_SECRET of workers-external). */
export const SUPABASE_TEST_JWT_SECRET = "supabase-test-jwt-secret-with-at-least-32-characters";
