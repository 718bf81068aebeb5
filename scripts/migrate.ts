// `npm run migrate`: applies migrations/*.sql to DATABASE_URL (the Supabase Postgres connection
// string; not the transaction pooler, the run holds a session lock), optionally into MIGRATE_SCHEMA
// (default public). Prints each file, never the URL.
import { applyMigrations } from "./migrations";

async function main(): Promise<void> {
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) {
    console.error(
      "DATABASE_URL is not set. Use the direct (or session pooler) Postgres connection string of the " +
        "Supabase project (Connect → Direct connection), e.g. DATABASE_URL=postgres://... npm run migrate",
    );
    process.exitCode = 2;
    return;
  }
  const { latest } = await applyMigrations({
    databaseUrl,
    schema: process.env.MIGRATE_SCHEMA || undefined,
    log: (line) => console.log(line),
  });
  console.log(`database is at migration ${latest}`);
}

main().catch((err: unknown) => {
  console.error(`migrate failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
