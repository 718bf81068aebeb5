// The Supabase CreditLedger against real Postgres through the local PostgREST gateway: the
// contract suite, the readiness check and the errors a broken schema or key produces.
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyMigrations, listMigrations } from "../../scripts/migrations";
import {
  checkSupabaseSchema,
  createSupabaseServiceClient,
  LATEST_MIGRATION,
  SupabaseLedgerError,
  supabaseLedger,
} from "../../src/adapters/ledger/supabase";
import { creditLedgerContract } from "../contracts/credit-ledger.contract";
import { createTestSchema, type TestSchema } from "../support/local-services";
import { type PostgrestGateway, startPostgrestGateway } from "../support/postgrest-gateway";

const KEY = "ledger-test-service-key";

interface Served {
  db: TestSchema;
  gateway: PostgrestGateway;
  config: { url: string; serviceKey: string; schema: string };
}

async function serve(label: string, migrate = true): Promise<Served> {
  const db = await createTestSchema(label, migrate);
  const gateway = await startPostgrestGateway({ databaseUrl: db.databaseUrl, serviceKey: KEY, schema: db.schema });
  return { db, gateway, config: { url: gateway.url, serviceKey: KEY, schema: db.schema } };
}

async function stop(served: Served | undefined): Promise<void> {
  await served?.gateway.close();
  await served?.db.drop();
}

describe("Supabase ledger", () => {
  let main: Served;

  beforeAll(async () => {
    main = await serve("ledger");
  });

  afterAll(async () => {
    await stop(main);
  });

  creditLedgerContract("supabase", async () => ({
    ledger: supabaseLedger(main.config),
    tenantId: `tenant-${randomUUID()}`,
  }));

  it("the readiness check passes on a migrated database", async () => {
    expect(await checkSupabaseSchema(createSupabaseServiceClient(main.config))).toEqual({ ok: true });
  });

  it("LATEST_MIGRATION is the highest numbered file in migrations/", async () => {
    const files = await listMigrations();
    expect(files.at(-1)?.version).toBe(LATEST_MIGRATION);
  });

  it("an invalid page cursor is an invalid_argument error", async () => {
    const ledger = supabaseLedger(main.config);
    await expect(ledger.ledger("t", 10, "not-a-cursor")).rejects.toMatchObject({ code: "invalid_argument" });
    await expect(ledger.ledger("t", 0)).rejects.toMatchObject({ code: "invalid_argument" });
  });

  it("a wrong service key is reported as unauthorized, without the key", async () => {
    const ledger = supabaseLedger({ ...main.config, serviceKey: "wrong-secret-value" });
    const err = await ledger.balance("t").then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SupabaseLedgerError);
    expect(err).toMatchObject({ code: "unauthorized" });
    expect((err as Error).message).toMatch(/SUPABASE_SERVICE_ROLE_KEY/);
    expect((err as Error).message).not.toContain("wrong-secret-value");
    const check = await checkSupabaseSchema(createSupabaseServiceClient({ ...main.config, serviceKey: "wrong-secret-value" }));
    expect(check).toMatchObject({ ok: false, fix: expect.stringMatching(/SUPABASE_SERVICE_ROLE_KEY/) });
  });
});

describe("Supabase schema problems", () => {
  let broken: Served | undefined;

  afterAll(async () => {
    await stop(broken);
  });

  it("with credit_balances.available_credits dropped, the check and the ledger name it and the fix", async () => {
    broken = await serve("ledger_broken");
    await broken.db.sql("alter table credit_balances drop column available_credits cascade");
    const client = createSupabaseServiceClient(broken.config);
    const check = await checkSupabaseSchema(client);
    expect(check).toEqual({
      ok: false,
      missing: "column credit_balances.available_credits",
      fix: expect.stringContaining("npm run migrate"),
    });
    const err = await supabaseLedger(broken.config)
      .topUp("t", 5, "k")
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toMatchObject({ code: "schema_missing" });
    expect((err as Error).message).toMatch(/available_credits/);
    expect((err as Error).message).toMatch(/npm run migrate/);
    // The fix works: migrations are convergent and put the column back.
    await applyMigrations({ databaseUrl: broken.db.databaseUrl, schema: broken.db.schema });
    expect(await checkSupabaseSchema(client)).toEqual({ ok: true });
    expect(await supabaseLedger(broken.config).topUp("t", 5, "k")).toEqual({ available: 5, reserved: 0, spent_total: 0 });
  });

  it("a missing ledger function is named with the fix", async () => {
    const served = await serve("ledger_nofn");
    try {
      await served.db.sql("drop function ledger_reserve(text, text, bigint, text)");
      const err = await supabaseLedger(served.config)
        .reserve("t", "run", 1, "k")
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(err).toMatchObject({ code: "schema_missing" });
      expect((err as Error).message).toMatch(/ledger_reserve/);
      expect((err as Error).message).toMatch(/npm run migrate/);
    } finally {
      await stop(served);
    }
  });

  it("an unmigrated database misses schema_migrations first", async () => {
    const served = await serve("ledger_empty", false);
    try {
      expect(await checkSupabaseSchema(createSupabaseServiceClient(served.config))).toEqual({
        ok: false,
        missing: "table schema_migrations",
        fix: expect.stringContaining("npm run migrate"),
      });
    } finally {
      await stop(served);
    }
  });

  it("a database behind the latest migration is reported with its version", async () => {
    const served = await serve("ledger_old");
    try {
      await served.db.sql(`delete from schema_migrations where version = ${LATEST_MIGRATION}`);
      expect(await checkSupabaseSchema(createSupabaseServiceClient(served.config))).toMatchObject({
        ok: false,
        missing: `migration ${LATEST_MIGRATION} (the database is at ${LATEST_MIGRATION - 1})`,
      });
    } finally {
      await stop(served);
    }
  });
});
