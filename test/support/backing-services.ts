// The Postgres and Redis a test run uses: a Postgres server when one answers (or the one
// TEST_DATABASE_URL names), else the embedded PGlite; Redis when one answers, else a reason why not.
// TEST_POSTGRES=embedded|server forces the choice. Called once by global-setup.ts.
import { Redis } from "ioredis";
import pg from "pg";
import { type EmbeddedPostgres, startEmbeddedPostgres } from "./embedded-postgres";
import { DEFAULT_ADMIN_DATABASE_URL, ensureDatabase } from "./local-services";

/** The Postgres of the run. */
export interface TestPostgres {
  kind: "server" | "embedded";
  /** A database to connect to while creating others. */
  adminUrl: string;
  /** The database the Node tests make their schemas in (`test`). */
  databaseUrl: string;
  /** One line for the run's log: which Postgres and why (no credentials). */
  summary: string;
  stop(): Promise<void>;
}

/** How long a probe of a local server may take before it counts as absent (ms). */
const PROBE_TIMEOUT_MS = 2000;

function redact(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = "***";
  return u.toString();
}

function reasonOf(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length > 0) return reasonOf(err.errors[0]);
  const e = err as { code?: string; message?: string };
  return e.code ?? e.message ?? String(err);
}

/** Connects once to `url`; null when it answers, else why not. */
async function probePostgres(url: string): Promise<string | null> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: PROBE_TIMEOUT_MS });
  try {
    await client.connect();
    await client.query("select 1");
    return null;
  } catch (err) {
    return reasonOf(err);
  } finally {
    await client.end().catch((err: unknown) => console.warn(`[test setup] closing the Postgres probe failed: ${reasonOf(err)}`));
  }
}

function serverOn(adminUrl: string, reason: string): Promise<TestPostgres> {
  return ensureDatabase(adminUrl, "test").then((databaseUrl) => ({
    kind: "server" as const,
    adminUrl,
    databaseUrl,
    summary: `Postgres: the server at ${redact(adminUrl)} (${reason})`,
    stop: async () => {},
  }));
}

async function embedded(reason: string): Promise<TestPostgres> {
  const db: EmbeddedPostgres = await startEmbeddedPostgres();
  return {
    kind: "embedded",
    adminUrl: db.url,
    databaseUrl: db.url,
    summary: `Postgres: embedded PGlite at ${db.url} (${reason})`,
    stop: () => db.stop(),
  };
}

/**
 * Chooses the run's Postgres. `TEST_POSTGRES=embedded` always starts PGlite; `TEST_POSTGRES=server`
 * requires a server; otherwise TEST_DATABASE_URL's server is used if set, else the local server if
 * it answers, else PGlite.
 */
export async function choosePostgres(env: NodeJS.ProcessEnv = process.env): Promise<TestPostgres> {
  const mode = env.TEST_POSTGRES ?? "auto";
  if (!["auto", "embedded", "server"].includes(mode)) throw new Error(`TEST_POSTGRES must be embedded or server, not ${mode}`);
  if (mode === "embedded") return embedded("TEST_POSTGRES=embedded");
  if (env.TEST_DATABASE_URL) {
    const problem = await probePostgres(env.TEST_DATABASE_URL);
    if (problem) throw new Error(`TEST_DATABASE_URL's server does not answer (${problem}); unset it to use the embedded Postgres`);
    return {
      kind: "server",
      adminUrl: env.TEST_ADMIN_DATABASE_URL ?? env.TEST_DATABASE_URL,
      databaseUrl: env.TEST_DATABASE_URL,
      summary: `Postgres: the server at ${redact(env.TEST_DATABASE_URL)} (TEST_DATABASE_URL)`,
      stop: async () => {},
    };
  }
  const admin = env.TEST_ADMIN_DATABASE_URL ?? DEFAULT_ADMIN_DATABASE_URL;
  const problem = await probePostgres(admin);
  if (!problem) return serverOn(admin, "it answered");
  if (mode === "server") throw new Error(`TEST_POSTGRES=server but no Postgres answers at ${redact(admin)} (${problem})`);
  return embedded(`no server answered at ${redact(admin)}: ${problem}`);
}

/** Pings Redis at `url`; null when it answers, else why not. */
export async function probeRedis(url: string): Promise<string | null> {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: PROBE_TIMEOUT_MS,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  // ioredis emits connection errors as events as well as rejecting connect(): keep the first,
  // which names the cause (ECONNREFUSED) better than the rejection does.
  let first: unknown = null;
  redis.on("error", (err: unknown) => {
    first ??= err;
  });
  try {
    await redis.connect();
    await redis.ping();
    return null;
  } catch (err) {
    return `no Redis answers at ${redact(url)} (${reasonOf(first ?? err)})`;
  } finally {
    redis.disconnect();
  }
}
