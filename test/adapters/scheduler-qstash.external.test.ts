// The Scheduler contract against the QStash adapter, as deps wires it when QStash is configured:
// published to the local QStash, whose signed deliveries land in the echo server (PUBLIC_URL).
// The probe hands each one to the Worker's /internal/qstash/deliver and counts those it accepted.
import { env, exports } from "cloudflare:workers";
import { decodeJwt } from "jose";
import { scheduler } from "../../src/deps";
import { schedulerContract } from "../contracts/scheduler.contract";
import { BASE } from "../helpers/api";
import { qstashDeliveries } from "../helpers/external";

interface HandedOn {
  key: string;
  /** The Worker verified it and sent its body to the queue (200). */
  accepted: boolean;
  /** When the emulator signed, and so sent, it: epoch ms, from the signature's `iat` (whole seconds). */
  signedAt: number;
}

/** Captured deliveries already handed to the Worker, by signature (each attempt is signed afresh). */
const handedOn = new Map<string, HandedOn>();

function keyOf(body: string): string | null {
  try {
    const parsed = JSON.parse(body) as { key?: unknown };
    return typeof parsed.key === "string" ? parsed.key : null;
  } catch (err) {
    throw new Error(`captured QStash delivery is not JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
}

async function handOn(key: string, body: string, headers: Record<string, string>): Promise<void> {
  const signature = headers["upstash-signature"] ?? "";
  if (handedOn.has(signature)) return;
  const res = await exports.default.fetch(
    new Request(`${BASE}/internal/qstash/deliver`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "upstash-signature": signature,
        "upstash-message-id": headers["upstash-message-id"] ?? "",
      },
      body,
    }),
  );
  await res.arrayBuffer();
  handedOn.set(signature, { key, accepted: res.status === 200, signedAt: (decodeJwt(signature).iat ?? 0) * 1000 });
}

schedulerContract("qstash", async () => ({
  scheduler: scheduler(env),
  async delivered(key) {
    for (const r of await qstashDeliveries(key)) if (keyOf(r.body) === key) await handOn(key, r.body, r.headers);
    const accepted = [...handedOn.values()].filter((h) => h.key === key && h.accepted);
    return { times: accepted.length, firstSentAt: accepted.length > 0 ? Math.min(...accepted.map((h) => h.signedAt)) : null };
  },
}));
