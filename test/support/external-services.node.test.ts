// The shared stand-ins started by global-setup.ts answer with the fixed test credentials, and the
// run's Supabase schema is migrated, so workerd tests can point adapters at them.
import { Client } from "@upstash/qstash";
import { Redis } from "@upstash/redis";
import { describe, expect, inject, it } from "vitest";
import { checkSupabaseSchema, createSupabaseServiceClient } from "../../src/adapters/ledger/supabase";
import { QSTASH_TEST_TOKEN, SUPABASE_TEST_SERVICE_KEY, UPSTASH_TEST_TOKEN } from "./constants";
import { redisSkipNote } from "./redis-requirement";

describe("shared external services of the test run", () => {
  const urls = inject("supportUrls");

  it("registers upstash, qstash and postgrest URLs", () => {
    expect(Object.keys(urls)).toEqual(expect.arrayContaining(["upstash", "qstash", "postgrest"]));
  });

  it("the Upstash gateway accepts the test token", async ({ skip }) => {
    const note = redisSkipNote(urls);
    if (note) skip(note);
    const redis = new Redis({ url: urls.upstash ?? "", token: UPSTASH_TEST_TOKEN, enableTelemetry: false });
    expect(await redis.ping()).toBe("PONG");
  });

  it("the QStash emulator accepts the test token", async () => {
    const client = new Client({ baseUrl: urls.qstash ?? "", token: QSTASH_TEST_TOKEN, enableTelemetry: false, devMode: false });
    expect(await client.dlq.listMessages()).toMatchObject({ messages: expect.any(Array) });
  });

  it("the PostgREST gateway serves a migrated schema of the run's own", async () => {
    const client = createSupabaseServiceClient({
      url: urls.postgrest ?? "",
      serviceKey: SUPABASE_TEST_SERVICE_KEY,
      schema: urls.postgrestSchema,
    });
    expect(await checkSupabaseSchema(client)).toEqual({ ok: true });
  });
});
