// The local Upstash REST gateway, exercised through the real @upstash/redis client and raw HTTP.
import { Redis } from "@upstash/redis";
import { Redis as IORedis } from "ioredis";
import { afterAll, beforeAll, expect, inject, it } from "vitest";
import { TEST_REDIS_URL, uniqueKeyPrefix } from "./local-services";
import { describeWithRedis } from "./redis-requirement";
import { startUpstashGateway, type UpstashGateway } from "./upstash-gateway";

const TOKEN = "gateway-test-token";

describeWithRedis(inject("supportUrls"), "Upstash REST gateway", () => {
  let gateway: UpstashGateway;
  let redis: Redis;
  let direct: IORedis;
  let prefix: string;

  beforeAll(async () => {
    prefix = uniqueKeyPrefix("upstash-gateway");
    gateway = await startUpstashGateway({ token: TOKEN, redisUrl: TEST_REDIS_URL, keyPrefix: prefix });
    redis = new Redis({ url: gateway.url, token: TOKEN, enableTelemetry: false });
    direct = new IORedis(TEST_REDIS_URL);
  });

  afterAll(async () => {
    await gateway?.close();
    await direct?.quit();
  });

  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${gateway.url}${path}`, {
      method: "POST",
      headers: { Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/json", ...headers },
      body: JSON.stringify(body),
    });

  it("runs commands through the SDK, values round-trip through base64 encoding", async () => {
    expect(await redis.set("greeting", "héllo ✓ 你好")).toBe("OK");
    expect(await redis.get("greeting")).toBe("héllo ✓ 你好");
    await redis.set("doc", { a: 1, list: [1, 2] });
    expect(await redis.get("doc")).toEqual({ a: 1, list: [1, 2] });
    expect(await redis.incrby("counter", 5)).toBe(5);
    await redis.hset("h", { lane: "high", n: 3 });
    expect(await redis.hgetall("h")).toEqual({ lane: "high", n: 3 });
    await redis.zadd("z", { score: 2, member: "b" }, { score: 1, member: "a" });
    expect(await redis.zrange("z", 0, -1)).toEqual(["a", "b"]);
    expect(await redis.get("missing")).toBeNull();
  });

  it("works without base64 encoding too", async () => {
    const plain = new Redis({ url: gateway.url, token: TOKEN, responseEncoding: false, enableTelemetry: false });
    await plain.set("plain", "ünïcode");
    expect(await plain.get("plain")).toBe("ünïcode");
  });

  it("encodes bulk strings as base64 of their UTF-8 bytes but leaves OK, numbers and null", async () => {
    const encoded = { "Upstash-Encoding": "base64" };
    expect(await (await post("/", ["SET", "b64", "é"], encoded)).json()).toEqual({ result: "OK" });
    expect(await (await post("/", ["GET", "b64"], encoded)).json()).toEqual({ result: Buffer.from("é").toString("base64") });
    expect(await (await post("/", ["GET", "b64"])).json()).toEqual({ result: "é" });
    expect(await (await post("/", ["INCR", "n64"], encoded)).json()).toEqual({ result: 1 });
    expect(await (await post("/", ["GET", "none"], encoded)).json()).toEqual({ result: null });
    expect(await (await post("/", ["MGET", "b64", "none"], encoded)).json()).toEqual({
      result: [Buffer.from("é").toString("base64"), null],
    });
  });

  it("pipelines commands in order and reports each error in place", async () => {
    const results = await redis.pipeline().set("p", "1").incr("p").get("p").exec();
    expect(results).toEqual(["OK", 2, 2]);
    const res = await post("/pipeline", [
      ["SET", "s", "text"],
      ["INCR", "s"],
      ["GET", "s"],
    ]);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual([{ result: "OK" }, { error: "ERR value is not an integer or out of range" }, { result: "text" }]);
    await expect(redis.pipeline().set("s2", "x").incr("s2").exec()).rejects.toThrow(/not an integer/);
  });

  it("runs multi-exec atomically", async () => {
    const results = await redis.multi().set("m", "5").incrby("m", 10).get("m").exec();
    expect(results).toEqual(["OK", 15, 15]);
    const raw = await post("/multi-exec", [
      ["SET", "m2", "a"],
      ["INCR", "m2"],
    ]);
    expect(await raw.json()).toEqual([{ result: "OK" }, { error: "ERR value is not an integer or out of range" }]);
  });

  it("answers a bad command with 400 and Redis's error", async () => {
    await post("/", ["SET", "str", "x"]);
    const res = await post("/", ["INCR", "str"]);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: "ERR value is not an integer or out of range" });
    const unknown = await post("/", ["NOPE", "x"]);
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { error: string }).error).toMatch(/^ERR unknown command/);
    await expect(redis.hget("str", "f")).rejects.toThrow(/WRONGTYPE/);
  });

  it("refuses a missing or wrong token with Upstash's 401 body", async () => {
    const missing = await fetch(`${gateway.url}/`, { method: "POST", body: JSON.stringify(["PING"]) });
    expect(missing.status).toBe(401);
    expect(await missing.json()).toEqual({ error: "WRONGPASS invalid or missing auth token" });
    const wrong = new Redis({ url: gateway.url, token: "not-the-token", enableTelemetry: false });
    await expect(wrong.get("x")).rejects.toThrow("WRONGPASS invalid or missing auth token");
  });

  it("accepts path-style commands and the _token parameter", async () => {
    const set = await fetch(`${gateway.url}/set/path-key/path%20value?_token=${TOKEN}`);
    expect(await set.json()).toEqual({ result: "OK" });
    const get = await fetch(`${gateway.url}/get/path-key`, { headers: { Authorization: `Bearer ${TOKEN}` } });
    expect(await get.json()).toEqual({ result: "path value" });
    const withBody = await fetch(`${gateway.url}/set/body-key?EX=100`, {
      method: "POST",
      headers: { Authorization: `Bearer ${TOKEN}` },
      body: '{"json":true}',
    });
    expect(await withBody.json()).toEqual({ result: "OK" });
    expect(await direct.ttl(`${prefix}body-key`)).toBeGreaterThan(90);
  });

  it("keeps keys under its prefix: KEYS, SCAN and FLUSHDB never touch other keys", async () => {
    const outside = `${uniqueKeyPrefix("outside")}k`;
    await direct.set(outside, "untouched");
    try {
      await redis.set("inside", "1");
      expect(await direct.get(`${prefix}inside`)).toBe("1");
      const keys = await redis.keys("*");
      expect(keys).toContain("inside");
      expect(keys.every((k) => !k.startsWith("edgecrew-test:"))).toBe(true);
      const [, scanned] = await redis.scan(0, { match: "ins*", count: 1000 });
      expect(scanned).toContain("inside");
      expect(await redis.flushdb()).toBe("OK");
      expect(await redis.keys("*")).toEqual([]);
      expect(await direct.get(outside)).toBe("untouched");
    } finally {
      await direct.del(outside);
    }
  });

  it("refuses commands that would take over the shared connection", async () => {
    const res = await post("/", ["SELECT", "2"]);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: "ERR Command is not allowed: select" });
  });

  it("deletes its keys on close", async () => {
    const own = uniqueKeyPrefix("closing");
    const temp = await startUpstashGateway({ token: TOKEN, redisUrl: TEST_REDIS_URL, keyPrefix: own });
    await new Redis({ url: temp.url, token: TOKEN, enableTelemetry: false }).set("k", "v");
    expect(await direct.get(`${own}k`)).toBe("v");
    await temp.close();
    expect(await direct.get(`${own}k`)).toBeNull();
  });

  it("fails to start when Redis is not reachable", async () => {
    await expect(startUpstashGateway({ token: TOKEN, redisUrl: "redis://127.0.0.1:1" })).rejects.toThrow();
  });
});
