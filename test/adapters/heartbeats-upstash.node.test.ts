// The Upstash Heartbeats adapter against real Redis through the local Upstash REST gateway.
import { randomUUID } from "node:crypto";
import { Redis } from "@upstash/redis";
import { afterAll, beforeAll, expect, inject, it } from "vitest";
import { upstashHeartbeats } from "../../src/adapters/heartbeats/upstash";
import { heartbeatsContract } from "../contracts/heartbeats.contract";
import { TEST_REDIS_URL, uniqueKeyPrefix } from "../support/local-services";
import { describeWithRedis } from "../support/redis-requirement";
import { startUpstashGateway, type UpstashGateway } from "../support/upstash-gateway";

const TOKEN = "heartbeats-test-token";

describeWithRedis(inject("supportUrls"), "Upstash heartbeats", () => {
  let gateway: UpstashGateway;

  beforeAll(async () => {
    gateway = await startUpstashGateway({ token: TOKEN, redisUrl: TEST_REDIS_URL, keyPrefix: uniqueKeyPrefix("heartbeats") });
  });

  afterAll(async () => {
    await gateway?.close();
  });

  heartbeatsContract("upstash", async () => ({
    heartbeats: upstashHeartbeats({ url: gateway.url, token: TOKEN, prefix: `hb:${randomUUID()}` }),
  }));

  it("expired workers are pruned from the index by the next beat", async () => {
    const prefix = `hb:${randomUUID()}`;
    const hb = upstashHeartbeats({ url: gateway.url, token: TOKEN, prefix });
    await hb.beat("gone", "low", 0, 100);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await hb.beat("alive", "low", 0, 10_000);
    const redis = new Redis({ url: gateway.url, token: TOKEN, enableTelemetry: false });
    expect(await redis.zrange(`${prefix}:workers`, 0, -1)).toEqual(["alive"]);
    expect(await redis.exists(`${prefix}:worker:gone`)).toBe(0);
  });

  it("a bad token fails loudly instead of listing no workers", async () => {
    const hb = upstashHeartbeats({ url: gateway.url, token: "wrong", prefix: `hb:${randomUUID()}` });
    await expect(hb.list()).rejects.toThrow(/WRONGPASS/);
  });
});
