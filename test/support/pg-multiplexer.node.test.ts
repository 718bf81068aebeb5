// The Postgres multiplexer that shares the embedded PGlite's one session among many `pg` clients:
// transactions never interleave, each client keeps its own search_path, a client that leaves
// mid-transaction is rolled back. Runs against the run's embedded Postgres when that is in use,
// else against a multiplexer of its own in front of the Postgres server.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { embeddedPostgres, testDatabaseUrl, uniqueSuffix } from "./local-services";
import { type PgMultiplexer, startPgMultiplexer } from "./pg-multiplexer";

describe("Postgres multiplexer", () => {
  let url: string;
  let own: PgMultiplexer | null = null;
  const schema = `edgecrew_mux_${uniqueSuffix()}`;
  const open: pg.Client[] = [];

  async function client(): Promise<pg.Client> {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    open.push(c);
    return c;
  }

  beforeAll(async () => {
    url = testDatabaseUrl();
    if (!embeddedPostgres()) {
      const server = new URL(url);
      own = await startPgMultiplexer({
        backendHost: server.hostname,
        backendPort: Number(server.port || 5432),
        user: decodeURIComponent(server.username || "postgres"),
        database: server.pathname.slice(1) || "postgres",
      });
      url = `postgres://postgres@${own.host}:${own.port}/postgres`;
    }
    const setup = await client();
    await setup.query(`create schema "${schema}"; create table "${schema}".items (id int primary key, note text)`);
  });

  afterAll(async () => {
    const cleanup = await client();
    await cleanup.query(`drop schema if exists "${schema}" cascade`);
    for (const c of open) await c.end().catch((err: unknown) => console.warn(`closing a test client failed: ${String(err)}`));
    await own?.close();
  });

  it("a query of another client waits until the open transaction commits, then sees its rows", async () => {
    const [a, b] = [await client(), await client()];
    const order: string[] = [];
    await a.query("begin");
    await a.query(`insert into "${schema}".items values (1, 'from a')`);
    const seen = b.query<{ n: string }>(`select count(*) as n from "${schema}".items where id = 1`).then((r) => {
      order.push("b read");
      return Number(r.rows[0]?.n);
    });
    await a.query(`update "${schema}".items set note = 'still a' where id = 1`);
    order.push("a still in its transaction");
    await a.query("commit");
    order.push("a committed");
    expect(await seen).toBe(1);
    expect(order).toEqual(["a still in its transaction", "a committed", "b read"]);
  });

  it("a rolled back transaction leaves nothing for the next client", async () => {
    const [a, b] = [await client(), await client()];
    await a.query("begin");
    await a.query(`insert into "${schema}".items values (2, 'rolled back')`);
    const seen = b.query(`select id from "${schema}".items where id = 2`);
    await a.query("rollback");
    expect((await seen).rows).toEqual([]);
  });

  it("each client keeps its own search_path however the session is shared", async () => {
    const [a, b] = [await client(), await client()];
    await a.query(`set search_path to "${schema}"`);
    await b.query("set search_path to pg_catalog");
    for (let i = 0; i < 3; i++) {
      const [ra, rb] = await Promise.all([a.query("select current_schema() as s"), b.query("select current_schema() as s")]);
      expect(ra.rows[0].s).toBe(schema);
      expect(rb.rows[0].s).toBe("pg_catalog");
    }
  });

  it("a client that disconnects inside a transaction is rolled back and the others go on", async () => {
    const a = await client();
    await a.query("begin");
    await a.query(`insert into "${schema}".items values (3, 'abandoned')`);
    await a.end();
    const b = await client();
    expect((await b.query(`select id from "${schema}".items where id = 3`)).rows).toEqual([]);
  });

  it("a failed statement inside a transaction keeps the client's turn until it rolls back", async () => {
    const [a, b] = [await client(), await client()];
    await a.query("begin");
    await a.query(`insert into "${schema}".items values (4, 'first')`);
    await expect(a.query(`insert into "${schema}".items values (4, 'duplicate')`)).rejects.toThrow(/duplicate key/);
    const seen = b.query(`select id from "${schema}".items where id = 4`);
    await a.query("rollback");
    expect((await seen).rows).toEqual([]);
  });

  it("many clients' parameterized queries at once each get their own answer", async () => {
    const pool = new pg.Pool({ connectionString: url, max: 10 });
    try {
      const values = Array.from({ length: 60 }, (_, i) => i * 7);
      const answers = await Promise.all(values.map((v) => pool.query<{ n: number }>("select $1::int as n, pg_sleep(0) as _", [v])));
      expect(answers.map((r) => r.rows[0]?.n)).toEqual(values);
    } finally {
      await pool.end();
    }
  });

  it("concurrent transactions that read, lock and update one row lose no update", async () => {
    const b = await client();
    await b.query(`insert into "${schema}".items values (10, '0')`);
    const pool = new pg.Pool({ connectionString: url, max: 8 });
    try {
      await Promise.all(
        Array.from({ length: 20 }, async () => {
          const c = await pool.connect();
          try {
            await c.query("begin");
            const { rows } = await c.query<{ note: string }>(`select note from "${schema}".items where id = 10 for update`);
            await c.query(`update "${schema}".items set note = $1 where id = 10`, [String(Number(rows[0]?.note) + 1)]);
            await c.query("commit");
          } finally {
            c.release();
          }
        }),
      );
    } finally {
      await pool.end();
    }
    expect((await b.query(`select note from "${schema}".items where id = 10`)).rows[0].note).toBe("20");
  });
});
