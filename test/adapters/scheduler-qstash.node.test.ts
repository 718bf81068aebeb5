// The QStash Scheduler and its receiver check, end to end through the local QStash emulator and
// a local endpoint that verifies each delivery with verifyQStashRequest.
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ScheduledDelivery } from "../../src/adapters/scheduler/port";
import { QSTASH_DELIVER_PATH, qstashDeliverUrl, qstashScheduler } from "../../src/adapters/scheduler/qstash";
import { type ReplayCache, verifyQStashRequest } from "../../src/adapters/scheduler/qstash-receiver";
import { type QStashEmulator, startQStashEmulator } from "../support/qstash-emulator";
import { signDelivery } from "../support/qstash-signing";

const TOKEN = "scheduler-test-token";
const KEYS = { current: "sig_current_scheduler_secret", next: "sig_next_scheduler_secret" };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function memoryReplayCache(): ReplayCache {
  const ids = new Set<string>();
  return {
    async seen(id) {
      const before = ids.has(id);
      ids.add(id);
      return before;
    },
  };
}

function toHeaders(raw: IncomingHttpHeaders): Headers {
  const headers = new Headers();
  for (const [k, v] of Object.entries(raw)) if (typeof v === "string") headers.set(k, v);
  return headers;
}

describe("QStash scheduler", () => {
  let emulator: QStashEmulator;
  let endpoint: Server;
  let publicUrl: string;
  const accepted: Array<{ body: ScheduledDelivery; at: number }> = [];
  const refused: string[] = [];
  const replays = memoryReplayCache();

  beforeAll(async () => {
    emulator = await startQStashEmulator({ token: TOKEN, currentSigningKey: KEYS.current, nextSigningKey: KEYS.next, timeScale: 0.01 });
    endpoint = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const request = new Request(`${publicUrl}${req.url}`, {
        method: req.method,
        headers: toHeaders(req.headers),
        body: Buffer.concat(chunks),
      });
      const result = await verifyQStashRequest(request, KEYS, qstashDeliverUrl(publicUrl), replays);
      if (result.ok) accepted.push({ body: result.body, at: Date.now() });
      else refused.push(result.reason);
      res.writeHead(result.ok ? 200 : 401).end();
    });
    await new Promise<void>((resolve) => endpoint.listen(0, "127.0.0.1", resolve));
    publicUrl = `http://127.0.0.1:${(endpoint.address() as AddressInfo).port}/`;
  });

  afterAll(async () => {
    await emulator?.close();
    endpoint?.closeAllConnections();
    await new Promise<void>((resolve) => (endpoint ? endpoint.close(() => resolve()) : resolve()));
  });

  const scheduler = () => qstashScheduler({ token: TOKEN, baseUrl: emulator.url, publicUrl });

  async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > end) throw new Error("timed out");
      await sleep(10);
    }
  }

  it("delivers a due delivery to /internal/qstash/deliver, verified", async () => {
    const delivery: ScheduledDelivery = {
      key: "run-1:step-2:retry-1",
      at: Date.now() - 1000,
      queue: "RUNS_HIGH",
      body: { runId: "run-1" },
    };
    await scheduler().schedule(delivery);
    // The endpoint accepts the delivery before the emulator has read its answer and recorded the
    // attempt: wait for both, and pick this delivery's attempt by its key.
    const attempt = () => emulator.deliveries().find((d) => d.status === 200 && d.body.includes(delivery.key));
    await until(() => accepted.some((a) => a.body.key === delivery.key) && attempt() !== undefined);
    expect(accepted.find((a) => a.body.key === delivery.key)?.body).toEqual(delivery);
    expect(attempt()?.url).toBe(`${publicUrl.replace(/\/$/, "")}${QSTASH_DELIVER_PATH}`);
  });

  it("does not deliver before `at`, and delivers the same key once", async () => {
    const at = Date.now() + 1200;
    const delivery: ScheduledDelivery = { key: `later-${at}`, at, queue: "RUNS_LOW", body: { n: 1 } };
    await scheduler().schedule(delivery);
    await scheduler().schedule({ ...delivery, body: { n: 2 } });
    await until(() => accepted.some((a) => a.body.key === delivery.key), 4000);
    const got = accepted.filter((a) => a.body.key === delivery.key);
    expect(got[0]?.at).toBeGreaterThanOrEqual(at);
    await sleep(150);
    expect(accepted.filter((a) => a.body.key === delivery.key).map((a) => a.body.body)).toEqual([{ n: 1 }]);
  });

  it("a scheduling error carries QStash's answer but never the token", async () => {
    const bad = qstashScheduler({ token: "wrong-token-value", baseUrl: emulator.url, publicUrl });
    const err = await bad.schedule({ key: "k", at: Date.now(), queue: "EVENTS", body: null }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err?.message).toMatch(/Unauthorized/);
    expect(err?.message).not.toContain("wrong-token-value");
  });
});

describe("verifyQStashRequest", () => {
  const url = "https://edgecrew.example/internal/qstash/deliver";
  const delivery: ScheduledDelivery = { key: "k1", at: 1, queue: "RUNS_NORMAL", body: { a: 1 } };
  const body = JSON.stringify(delivery);

  async function request(opts: { key?: string; sub?: string; now?: number; id?: string; sentBody?: string; signature?: string | null }) {
    const headers = new Headers({ "Upstash-Message-Id": opts.id ?? "msg_1" });
    const signature =
      opts.signature === undefined
        ? await signDelivery({ key: opts.key ?? KEYS.current, url: opts.sub ?? url, body, now: opts.now })
        : opts.signature;
    if (signature !== null) headers.set("Upstash-Signature", signature);
    return new Request(url, { method: "POST", headers, body: opts.sentBody ?? body });
  }

  const verify = async (req: Request, cache = memoryReplayCache()) => verifyQStashRequest(req, KEYS, url, cache);

  it("accepts a delivery signed with the current or the next key", async () => {
    expect(await verify(await request({}))).toEqual({ ok: true, body: delivery });
    expect(await verify(await request({ key: KEYS.next }))).toEqual({ ok: true, body: delivery });
  });

  it("refuses an unsigned, forged, expired, misaddressed or tampered delivery", async () => {
    const cases = {
      unsigned: await request({ signature: null }),
      forged: await request({ key: "sig_attacker" }),
      expired: await request({ now: Math.floor(Date.now() / 1000) - 3600 }),
      misaddressed: await request({ sub: "https://evil.example/internal/qstash/deliver" }),
      tampered: await request({ sentBody: JSON.stringify({ ...delivery, key: "k2" }) }),
      garbage: await request({ signature: "not-a-jwt" }),
    };
    const reasons: Record<string, string> = {};
    for (const [name, req] of Object.entries(cases)) {
      const result = await verify(req);
      expect(result.ok, name).toBe(false);
      if (!result.ok) reasons[name] = result.reason;
    }
    expect(reasons.unsigned).toMatch(/missing Upstash-Signature/);
    expect(reasons.expired).toMatch(/expired/);
    expect(reasons.misaddressed).toMatch(/subject/);
    expect(reasons.tampered).toMatch(/body hash/);
    for (const reason of Object.values(reasons)) {
      expect(reason).not.toContain(KEYS.current);
      expect(reason).not.toContain(KEYS.next);
    }
  });

  it("refuses a replayed request but accepts QStash's own retry of the message", async () => {
    const cache = memoryReplayCache();
    const original = await request({ id: "msg_replay" });
    const copy = original.clone();
    expect((await verify(original, cache)).ok).toBe(true);
    expect(await verify(copy, cache)).toEqual({ ok: false, reason: "replayed delivery msg_replay" });
    // A retry is signed afresh (new jti), so it is not a replay.
    expect((await verify(await request({ id: "msg_replay" }), cache)).ok).toBe(true);
  });

  it("refuses a signed body that is not a scheduled delivery", async () => {
    const wrong = '{"hello":"world"}';
    const signature = await signDelivery({ key: KEYS.current, url, body: wrong });
    const req = new Request(url, { method: "POST", headers: { "Upstash-Signature": signature, "Upstash-Message-Id": "m" }, body: wrong });
    expect(await verify(req)).toMatchObject({ ok: false, reason: expect.stringMatching(/not a scheduled delivery/) });
  });
});
