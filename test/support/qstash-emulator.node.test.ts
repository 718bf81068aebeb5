// The local QStash emulator, exercised through the real @upstash/qstash Client, with a local
// destination that verifies every delivery with the SDK's Receiver.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Client, Receiver } from "@upstash/qstash";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type QStashEmulator, startQStashEmulator } from "./qstash-emulator";
import { signDelivery } from "./qstash-signing";

const TOKEN = "emulator-test-token";
const KEYS = { current: "sig_current_for_emulator_test", next: "sig_next_for_emulator_test" };

interface Received {
  path: string;
  method: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  verified: boolean;
  at: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor<T>(probe: () => T | undefined, timeoutMs = 5000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error("timed out waiting");
    await sleep(10);
  }
}

describe("QStash emulator", () => {
  let emulator: QStashEmulator;
  let client: Client;
  let destination: Server;
  let base: string;
  const received: Received[] = [];
  // Status the destination answers per path; absent = 200. A list is consumed one per request.
  const answers = new Map<string, number[]>();
  const receiver = new Receiver({ currentSigningKey: KEYS.current, nextSigningKey: KEYS.next, devMode: false });

  beforeAll(async () => {
    emulator = await startQStashEmulator({
      token: TOKEN,
      currentSigningKey: KEYS.current,
      nextSigningKey: KEYS.next,
      timeScale: 0.001,
    });
    client = new Client({ baseUrl: emulator.url, token: TOKEN, enableTelemetry: false, devMode: false });
    destination = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const body = Buffer.concat(chunks).toString("utf8");
      const path = req.url ?? "/";
      const signature = String(req.headers["upstash-signature"] ?? "");
      const verified = await receiver.verify({ signature, body, url: `${base}${path}` }).then(
        () => true,
        () => false,
      );
      received.push({ path, method: req.method ?? "", headers: req.headers, body, verified, at: Date.now() });
      const planned = answers.get(path);
      const status = planned && planned.length > 0 ? (planned.shift() as number) : 200;
      res.writeHead(status).end(status === 200 ? "ok" : "failed");
    });
    await new Promise<void>((resolve) => destination.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(destination.address() as AddressInfo).port}`;
  });

  afterEach(() => {
    received.length = 0;
  });

  afterAll(async () => {
    await emulator?.close();
    destination?.closeAllConnections();
    await new Promise<void>((resolve) => (destination ? destination.close(() => resolve()) : resolve()));
  });

  it("delivers a delayed JSON message, signed so that Receiver accepts it", async () => {
    const start = Date.now();
    const { messageId } = await client.publishJSON({
      url: `${base}/hook/delayed`,
      body: { hello: "world" },
      delay: 5,
      headers: { "X-Trace": "abc" },
    });
    expect(messageId).toMatch(/^msg_/);
    const got = await waitFor(() => received.find((r) => r.path === "/hook/delayed"));
    expect(got.verified).toBe(true);
    expect(JSON.parse(got.body)).toEqual({ hello: "world" });
    expect(got.method).toBe("POST");
    expect(got.headers["upstash-message-id"]).toBe(messageId);
    expect(got.headers["upstash-retried"]).toBe("0");
    expect(got.headers["x-trace"]).toBe("abc");
    expect(got.headers["content-type"]).toBe("application/json");
    // 5 s scaled by 0.001 is 5 ms.
    expect(got.at - start).toBeGreaterThanOrEqual(5);
  });

  it("honours Upstash-Method", async () => {
    await client.publish({ url: `${base}/hook/put`, body: "x", method: "PUT" });
    const got = await waitFor(() => received.find((r) => r.path === "/hook/put"));
    expect(got.method).toBe("PUT");
  });

  it("deduplicates by Upstash-Deduplication-Id and says so", async () => {
    const first = await client.publishJSON({ url: `${base}/hook/dedup`, body: { n: 1 }, deduplicationId: "dedup-1" });
    const second = await client.publishJSON({ url: `${base}/hook/dedup`, body: { n: 2 }, deduplicationId: "dedup-1" });
    expect(second.messageId).toBe(first.messageId);
    expect(second.deduplicated).toBe(true);
    expect(first.deduplicated).toBeUndefined();
    await waitFor(() => received.find((r) => r.path === "/hook/dedup"));
    await sleep(100);
    expect(received.filter((r) => r.path === "/hook/dedup").map((r) => JSON.parse(r.body))).toEqual([{ n: 1 }]);
  });

  it("delivers a not-before message once, no earlier than its absolute time (never scaled)", async () => {
    const start = Date.now();
    const notBefore = Math.ceil((start + 2000) / 1000);
    await client.publishJSON({ url: `${base}/hook/not-before`, body: { at: notBefore }, notBefore });
    // The destination stamps each arrival: the first one is never before the absolute time, however
    // late this test gets to look (a fixed sleep then "nothing yet" would race a loaded machine).
    const got = await waitFor(() => received.find((r) => r.path === "/hook/not-before"), 5000);
    expect(got.at).toBeGreaterThanOrEqual(notBefore * 1000);
    expect(got.at - start).toBeGreaterThanOrEqual(2000);
    await sleep(100);
    expect(received.filter((r) => r.path === "/hook/not-before")).toHaveLength(1);
  });

  it("retries a failing destination with backoff, then succeeds", async () => {
    answers.set("/hook/flaky", [503]);
    await client.publishJSON({ url: `${base}/hook/flaky`, body: {}, retries: 2 });
    await waitFor(() => (received.filter((r) => r.path === "/hook/flaky").length === 2 ? true : undefined));
    const attempts = received.filter((r) => r.path === "/hook/flaky");
    expect(attempts.map((r) => r.headers["upstash-retried"])).toEqual(["0", "1"]);
    expect(attempts.every((r) => r.verified)).toBe(true);
    // Each attempt is signed afresh.
    expect(attempts[0]?.headers["upstash-signature"]).not.toBe(attempts[1]?.headers["upstash-signature"]);
    expect(emulator.dlq().filter((m) => m.url.endsWith("/hook/flaky"))).toHaveLength(0);
  });

  it("moves a message to the DLQ after its retries", async () => {
    answers.set("/hook/down", [500, 500, 500, 500]);
    const { messageId } = await client.publishJSON({ url: `${base}/hook/down`, body: { dead: true }, retries: 2 });
    const dead = await waitFor(() => emulator.dlq().find((m) => m.messageId === messageId));
    expect(dead).toMatchObject({ url: `${base}/hook/down`, retried: 2, maxRetries: 2, responseStatus: 500 });
    expect(received.filter((r) => r.path === "/hook/down").map((r) => r.headers["upstash-retried"])).toEqual(["0", "1", "2"]);
    const listed = await client.dlq.listMessages();
    expect(listed.messages.map((m) => m.messageId)).toContain(messageId);
    expect(
      emulator
        .deliveries()
        .filter((d) => d.messageId === messageId)
        .map((d) => d.status),
    ).toEqual([500, 500, 500]);
  });

  it("Receiver refuses a forged and an expired signature", async () => {
    const url = `${base}/hook/x`;
    const body = '{"a":1}';
    const forged = await signDelivery({ key: "not-the-signing-key", url, body });
    await expect(receiver.verify({ signature: forged, body, url })).rejects.toThrow();
    const expired = await signDelivery({ key: KEYS.current, url, body, now: Math.floor(Date.now() / 1000) - 600 });
    // The SDK falls back to the next key, so the error it ends with is the signature's.
    await expect(receiver.verify({ signature: expired, body, url })).rejects.toThrow();
    const good = await signDelivery({ key: KEYS.current, url, body });
    await expect(receiver.verify({ signature: good, body, url })).resolves.toBe(true);
    await expect(receiver.verify({ signature: good, body: '{"a":2}', url })).rejects.toThrow(/body hash/);
  });

  it("refuses a wrong token and a bad delay", async () => {
    const intruder = new Client({ baseUrl: emulator.url, token: "wrong", enableTelemetry: false, devMode: false, retry: false });
    await expect(intruder.publishJSON({ url: `${base}/hook/x`, body: {} })).rejects.toThrow(/Unauthorized/);
    const res = await fetch(`${emulator.url}/v2/publish/${base}/hook/x`, {
      method: "POST",
      headers: { Authorization: `Bearer ${TOKEN}`, "Upstash-Delay": "soon" },
      body: "{}",
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: "invalid Upstash-Delay header: soon" });
  });
});
