// Verifies a QStash delivery before it is trusted: signature (current or next key), destination
// URL, body hash, expiry, and a replay cache so a captured request cannot be played again.
import { Receiver } from "@upstash/qstash";
import { decodeJwt } from "jose";
import type { ScheduledDelivery } from "./port";

/** Remembers what was already accepted. `seen` records `id` and says whether it was there before. */
export interface ReplayCache {
  seen(id: string): Promise<boolean>;
}

/** The two signing keys QStash rotates between. */
export interface QStashSigningKeys {
  /** QSTASH_CURRENT_SIGNING_KEY. */
  current: string;
  /** QSTASH_NEXT_SIGNING_KEY. */
  next: string;
}

/** The verified delivery, or why it was refused (safe to log: no keys). */
export type QStashVerification = { ok: true; body: ScheduledDelivery } | { ok: false; reason: string };

function isDelivery(value: unknown): value is ScheduledDelivery {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.key === "string" && v.key.length > 0 && typeof v.at === "number" && typeof v.queue === "string" && "body" in v;
}

// The SDK retries with the next key and reports that attempt's error, which hides an expiry.
function describeFailure(signature: string, err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  try {
    const { exp } = decodeJwt(signature);
    if (typeof exp === "number" && exp * 1000 < Date.now()) return `expired at ${new Date(exp * 1000).toISOString()}`;
  } catch (decodeErr) {
    return `${message} (not a JWT: ${decodeErr instanceof Error ? decodeErr.message : String(decodeErr)})`;
  }
  return message;
}

/**
 * Checks a request QStash delivered to `expectedUrl`. Refuses it when the signature is missing,
 * forged, expired or for another URL or body, when the message id header is missing, when the
 * same signed attempt was seen before (the cache key is the message id plus the signature's
 * unique `jti`, so QStash's own retries, which are signed afresh, still pass), or when the body
 * is not a ScheduledDelivery. Reasons never contain the keys.
 */
export async function verifyQStashRequest(
  req: Request,
  keys: QStashSigningKeys,
  expectedUrl: string,
  replays: ReplayCache,
): Promise<QStashVerification> {
  const signature = req.headers.get("upstash-signature");
  if (!signature) return { ok: false, reason: "missing Upstash-Signature header" };
  const messageId = req.headers.get("upstash-message-id");
  if (!messageId) return { ok: false, reason: "missing Upstash-Message-Id header" };
  const text = await req.text();
  const receiver = new Receiver({ currentSigningKey: keys.current, nextSigningKey: keys.next, devMode: false });
  try {
    await receiver.verify({ signature, body: text, url: expectedUrl });
  } catch (err) {
    return { ok: false, reason: `invalid signature: ${describeFailure(signature, err)}` };
  }
  const { jti } = decodeJwt(signature);
  if (await replays.seen(`${messageId}:${jti ?? ""}`)) return { ok: false, reason: `replayed delivery ${messageId}` };
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    return { ok: false, reason: `body is not JSON: ${err instanceof Error ? err.message : String(err)}` };
  }
  if (!isDelivery(body)) return { ok: false, reason: "body is not a scheduled delivery { key, at, queue, body }" };
  return { ok: true, body };
}
