// A Supabase stand-in whose schema lacks credit_balances.available_credits: a migrated schema of
// its own in the test database, the column dropped, served by its own PostgREST gateway. The
// workers-external-broken project points SUPABASE_URL and SUPABASE_SCHEMA at it.
import { SUPABASE_TEST_DATABASE, SUPABASE_TEST_SERVICE_KEY } from "./constants";
import { createTestSchema, ensureDatabase, testAdminDatabaseUrl } from "./local-services";
import { startPostgrestGateway } from "./postgrest-gateway";

/** The running broken stand-in. */
export interface BrokenSupabase {
  /** Gateway base URL (SUPABASE_URL). */
  url: string;
  /** The schema it exposes (SUPABASE_SCHEMA). */
  schema: string;
  /** Closes the gateway and drops the schema. */
  stop(): Promise<void>;
}

/** Creates the schema, drops the column, starts the gateway. */
export async function startBrokenSupabase(): Promise<BrokenSupabase> {
  const databaseUrl = await ensureDatabase(testAdminDatabaseUrl(), SUPABASE_TEST_DATABASE);
  const db = await createTestSchema("broken", true, databaseUrl);
  try {
    await db.sql("alter table credit_balances drop column available_credits cascade");
    const gateway = await startPostgrestGateway({ databaseUrl, serviceKey: SUPABASE_TEST_SERVICE_KEY, schema: db.schema });
    return {
      url: gateway.url,
      schema: db.schema,
      async stop() {
        await gateway.close();
        await db.drop();
      },
    };
  } catch (err) {
    await db.drop();
    throw err;
  }
}
