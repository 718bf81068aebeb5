// The local PostgREST gateway, exercised through the real @supabase/supabase-js client against
// functions and a table in a fresh Postgres schema.
import { createClient } from "@supabase/supabase-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestSchema, type TestSchema } from "./local-services";
import { type PostgrestGateway, startPostgrestGateway } from "./postgrest-gateway";

const KEY = "postgrest-gateway-test-key";

const FIXTURES = `
  create table items (id integer primary key, name text not null, tags text[] not null default '{}', meta jsonb);
  create function add_numbers(a integer, b integer default 10) returns integer language sql as $$ select a + b $$;
  create function item_by_id(p_id integer) returns items language sql as $$ select * from items where id = p_id $$;
  create function items_named(p_prefix text) returns table (id integer, name text)
    language sql as $$ select id, name from items where name like p_prefix || '%' order by id $$;
  create function touch(p_id integer) returns void language plpgsql as $$ begin update items set name = name where id = p_id; end $$;
  create function fail_with(p_message text) returns integer language plpgsql as $$
    begin raise exception '%', p_message using detail = 'it was asked to', hint = 'do not ask'; end $$;
  create function echo_json(p_doc jsonb, p_list bigint[]) returns jsonb language sql
    as $$ select jsonb_build_object('doc', p_doc, 'sum', (select sum(x) from unnest(p_list) x)) $$;
`;

describe("PostgREST gateway", () => {
  let db: TestSchema;
  let gateway: PostgrestGateway;
  let supabase: ReturnType<typeof createClient<any, string, string>>;

  beforeAll(async () => {
    db = await createTestSchema("postgrest", false);
    await db.sql(FIXTURES);
    gateway = await startPostgrestGateway({ databaseUrl: db.databaseUrl, serviceKey: KEY, schema: db.schema });
    supabase = createClient<any, string, string>(gateway.url, KEY, { db: { schema: db.schema }, accessToken: async () => KEY });
  });

  afterAll(async () => {
    await gateway?.close();
    await db?.drop();
  });

  it("inserts rows and returns them with Prefer: return=representation", async () => {
    const { data, error, status } = await supabase
      .from("items")
      .insert(
        [
          { id: 1, name: "alpha", tags: ["a", "b"], meta: { x: 1 } },
          { id: 2, name: "alps", meta: null },
          { id: 3, name: "beta" },
        ],
        { defaultToNull: false },
      )
      .select("id,name,tags");
    expect(error).toBeNull();
    expect(status).toBe(201);
    expect(data).toEqual([
      { id: 1, name: "alpha", tags: ["a", "b"] },
      { id: 2, name: "alps", tags: [] },
      { id: 3, name: "beta", tags: [] },
    ]);
    const minimal = await supabase.from("items").insert({ id: 4, name: "gamma" });
    expect(minimal).toMatchObject({ error: null, data: null, status: 201 });
  });

  it("fills keys missing from some rows with null unless missing=default, as PostgREST does", async () => {
    const { error, status } = await supabase.from("items").insert([
      { id: 10, name: "x", tags: ["t"] },
      { id: 11, name: "y" },
    ]);
    expect(status).toBe(400);
    expect(error?.code).toBe("23502");
    const mismatch = await fetch(`${gateway.url}/rest/v1/items`, {
      method: "POST",
      headers: { apikey: KEY, Authorization: `Bearer ${KEY}`, "Content-Type": "application/json", "Content-Profile": db.schema },
      body: JSON.stringify([{ id: 12, name: "a" }, { id: 13 }]),
    });
    expect(mismatch.status).toBe(400);
    expect(await mismatch.json()).toMatchObject({ code: "PGRST102", message: "All object keys must match" });
  });

  it("reads with select, eq/in/gt filters, order and limit", async () => {
    const ordered = await supabase.from("items").select("id").gt("id", 1).order("id", { ascending: false }).limit(2);
    expect(ordered.data).toEqual([{ id: 4 }, { id: 3 }]);
    const picked = await supabase.from("items").select("name").in("id", [1, 3]).order("id");
    expect(picked.data).toEqual([{ name: "alpha" }, { name: "beta" }]);
    const one = await supabase.from("items").select("meta").eq("id", 1).single();
    expect(one.data).toEqual({ meta: { x: 1 } });
    const counted = await supabase.from("items").select("id", { count: "exact" }).like("name", "al%");
    expect(counted.count).toBe(2);
  });

  it("updates with a filter and returns the changed row", async () => {
    const { data, status } = await supabase.from("items").update({ name: "alpha-2" }).eq("id", 1).select("id,name").single();
    expect(status).toBe(200);
    expect(data).toEqual({ id: 1, name: "alpha-2" });
  });

  it("calls functions and shapes results like PostgREST: scalar, object, array, void", async () => {
    expect((await supabase.rpc("add_numbers", { a: 2, b: 3 })).data).toBe(5);
    expect((await supabase.rpc("add_numbers", { a: 2 })).data).toBe(12);
    expect((await supabase.rpc("item_by_id", { p_id: 3 })).data).toEqual({ id: 3, name: "beta", tags: [], meta: null });
    expect((await supabase.rpc("items_named", { p_prefix: "al" })).data).toEqual([
      { id: 1, name: "alpha-2" },
      { id: 2, name: "alps" },
    ]);
    expect((await supabase.rpc("items_named", { p_prefix: "zzz" })).data).toEqual([]);
    const none = await supabase.rpc("touch", { p_id: 1 });
    expect(none).toMatchObject({ error: null, data: null, status: 204 });
    const json = await supabase.rpc("echo_json", { p_doc: { deep: [1, { a: "b" }] }, p_list: [1, 2, 3] });
    expect(json.data).toEqual({ doc: { deep: [1, { a: "b" }] }, sum: 6 });
    expect((await supabase.rpc("add_numbers", { a: 1, b: 1 }, { get: true })).data).toBe(2);
  });

  it("answers a raised exception with 400 and PostgREST's error body", async () => {
    const { error, status } = await supabase.rpc("fail_with", { p_message: "no credits" });
    expect(status).toBe(400);
    expect(error).toEqual({ code: "P0001", message: "no credits", details: "it was asked to", hint: "do not ask" });
  });

  it("answers an unknown function or argument with 404 PGRST202", async () => {
    const missing = await supabase.rpc("nope", { x: 1 });
    expect(missing.status).toBe(404);
    expect(missing.error).toMatchObject({
      code: "PGRST202",
      message: `Could not find the function ${db.schema}.nope(x) in the schema cache`,
    });
    const wrongArg = await supabase.rpc("add_numbers", { z: 1 });
    expect(wrongArg.status).toBe(404);
    expect(wrongArg.error?.code).toBe("PGRST202");
  });

  it("answers an unknown column with 400 42703 naming it, an unknown table with 404 PGRST205", async () => {
    const column = await supabase.from("items").select("id,colour");
    expect(column.status).toBe(400);
    expect(column.error).toMatchObject({ code: "42703", message: "column items.colour does not exist" });
    const table = await supabase.from("nothing_here").select("*");
    expect(table.status).toBe(404);
    expect(table.error).toMatchObject({
      code: "PGRST205",
      message: `Could not find the table '${db.schema}.nothing_here' in the schema cache`,
    });
  });

  it("answers a duplicate key with 409 23505 and a non-single result with 406 PGRST116", async () => {
    const dup = await supabase.from("items").insert({ id: 1, name: "again" });
    expect(dup.status).toBe(409);
    expect(dup.error?.code).toBe("23505");
    const none = await supabase.from("items").select("*").eq("id", 999).single();
    expect(none.status).toBe(406);
    expect(none.error?.code).toBe("PGRST116");
  });

  it("upserts with merge-duplicates", async () => {
    const { data } = await supabase.from("items").upsert({ id: 2, name: "alps-merged" }).select("id,name");
    expect(data).toEqual([{ id: 2, name: "alps-merged" }]);
  });

  it("refuses a missing or wrong key with 401 and a foreign schema with 406", async () => {
    const wrong = await createClient(gateway.url, "wrong-key").from("items").select("*");
    expect(wrong.status).toBe(401);
    expect(wrong.error?.message).toBe("Invalid API key");
    const bare = await fetch(`${gateway.url}/rest/v1/items`);
    expect(bare.status).toBe(401);
    expect(await bare.json()).toEqual({
      message: "No API key found in request",
      hint: "No `apikey` request header or url param was found.",
    });
    const otherSchema = await createClient(gateway.url, KEY, { accessToken: async () => KEY })
      .from("items")
      .select("*");
    expect(otherSchema.status).toBe(406);
    expect(otherSchema.error?.code).toBe("PGRST106");
  });

  it("rejects an invalid JSON body with 400 PGRST102", async () => {
    const res = await fetch(`${gateway.url}/rest/v1/rpc/add_numbers`, {
      method: "POST",
      headers: { apikey: KEY, Authorization: `Bearer ${KEY}`, "Content-Type": "application/json", "Content-Profile": db.schema },
      body: "{not json",
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { code: string }).code).toBe("PGRST102");
  });
});
