// POST /internal/qstash/deliver with QStash configured: a run scheduled past the queue limit is
// published to the local QStash, which delivers it (signed) to PUBLIC_URL, here the echo server.
// The test hands that genuine delivery to the Worker: accepted once; forged, unsigned, expired,
// re-targeted or replayed copies are refused with 401 and enqueue nothing.
import { exports } from "cloudflare:workers";
import { decodeJwt } from "jose";
import { describe, expect, it } from "vitest";
import { api, BASE, json, newTenant, waitForRun } from "../helpers/api";
import { eventually, qstashDeliveries, qstashDeliverUrl, qstashSignature } from "../helpers/external";
import { QSTASH_TEST_SIGNING_KEYS } from "../support/constants";

function deliver(body: string, headers: Record<string, string>): Promise<Response> {
  return exports.default.fetch(
    new Request(`${BASE}/internal/qstash/deliver`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body }),
  );
}

describe("QStash deliveries", () => {
  it("a run scheduled 2.5 s ahead arrives once through QStash, after its time; copies are refused", async () => {
    const t = await newTenant(100);
    const before = Date.now();
    const runAt = before + 2500;
    const created = await json(
      api("/v1/runs", { method: "POST", key: t.key, json: { agent: "general", input: "wake up", run_at: new Date(runAt).toISOString() } }),
    );
    expect(created.status).toBe("scheduled");

    const [genuine] = await eventually("the QStash delivery", async () => {
      const found = await qstashDeliveries(created.id);
      return found.length > 0 ? found : undefined;
    });
    const signature = genuine!.headers["upstash-signature"]!;
    const messageId = genuine!.headers["upstash-message-id"]!;
    // Signed, and so sent, 2 s or more after the run was created (QStash's not-before). The
    // signature's iat has whole-second resolution; the run's start below is checked to the ms.
    expect(decodeJwt(signature).iat!).toBeGreaterThanOrEqual(Math.floor((before + 2000) / 1000));
    const body = genuine!.body;
    expect(JSON.parse(body)).toMatchObject({ queue: "RUNS_NORMAL", body: { run: created.id, tenant: t.id, gen: 1 } });

    // The run's time has passed, yet nothing but the genuine delivery may start it.
    const now = Math.floor(Date.now() / 1000);
    const url = qstashDeliverUrl();
    const refused = [
      await deliver(body, { "upstash-message-id": messageId }),
      await deliver(body, {
        "upstash-message-id": messageId,
        "upstash-signature": await qstashSignature({ key: "forged-key", url, body }),
      }),
      await deliver(body, {
        "upstash-message-id": messageId,
        "upstash-signature": await qstashSignature({ key: QSTASH_TEST_SIGNING_KEYS.current, url, body, issuedAt: now - 900 }),
      }),
      await deliver(body, {
        "upstash-message-id": messageId,
        "upstash-signature": await qstashSignature({
          key: QSTASH_TEST_SIGNING_KEYS.current,
          url: "https://elsewhere.example/internal/qstash/deliver",
          body,
        }),
      }),
      await deliver(body.replace('"gen":1', '"gen":2'), { "upstash-message-id": messageId, "upstash-signature": signature }),
    ];
    for (const res of refused) {
      expect(res.status).toBe(401);
      expect(((await res.json()) as any).error.code).toBe("unauthorized");
    }
    await new Promise((r) => setTimeout(r, 1500));
    expect((await json(api(`/v1/runs/${created.id}`, { key: t.key }))).status).toBe("scheduled");

    const accepted = await deliver(body, { "upstash-message-id": messageId, "upstash-signature": signature });
    expect(accepted.status).toBe(200);
    expect(await accepted.json()).toMatchObject({ ok: true, queue: "RUNS_NORMAL" });
    const run = await waitForRun(created.id, { key: t.key });
    expect(run.status).toBe("succeeded");
    expect(Date.parse(run.started_at)).toBeGreaterThanOrEqual(runAt - 250);

    const replay = await deliver(body, { "upstash-message-id": messageId, "upstash-signature": signature });
    expect(replay.status).toBe(401);
    expect(((await replay.json()) as any).error.message).toMatch(/replayed/);
    // QStash itself delivered it exactly once.
    expect(await qstashDeliveries(created.id)).toHaveLength(1);
  });

  it("a delivery signed with the next key (after a rotation) is accepted", async () => {
    // A lane message naming no run: the consumer drops it, which is all this needs.
    const body = JSON.stringify({ key: `rotation-${crypto.randomUUID()}`, at: Date.now(), queue: "RUNS_LOW", body: { probe: true } });
    const signature = await qstashSignature({ key: QSTASH_TEST_SIGNING_KEYS.next, url: qstashDeliverUrl(), body });
    const res = await deliver(body, { "upstash-message-id": `msg_${crypto.randomUUID()}`, "upstash-signature": signature });
    expect(res.status).toBe(200);
  });
});
