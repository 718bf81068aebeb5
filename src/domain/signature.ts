// Standard Webhooks signatures (docs/api.md, Webhooks) for tenant HTTP tool calls and webhooks:
// `webhook-signature: v1,<base64 HMAC-SHA256(key, id + "." + timestamp + "." + body)>`.

/** The three headers that sign one delivery. */
export interface SignedHeaders {
  "webhook-id": string;
  "webhook-timestamp": string;
  "webhook-signature": string;
}

/** Largest clock difference `verifySignature` accepts by default (300 s, as Standard Webhooks advises). */
export const DEFAULT_TOLERANCE_SECONDS = 300;

const PREFIX = "whsec_";

/** Bytes of the key a new signing secret carries (32, 256 bits). */
export const SIGNING_KEY_BYTES = 32;

function base64ToBytes(b64: string): Uint8Array<ArrayBuffer> | null {
  const std = b64.replace(/-/g, "+").replace(/_/g, "/");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(std)) return null;
  const bin = atob(std.padEnd(Math.ceil(std.length / 4) * 4, "="));
  return Uint8Array.from(bin, (ch) => ch.charCodeAt(0));
}

function bytesToBase64(bytes: Uint8Array): string {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

/**
 * A new signing secret as Standard Webhooks writes them: `whsec_` and the standard (padded,
 * `+/` alphabet) base64 of 32 random key bytes, so any Standard Webhooks library decodes it.
 */
export function newSigningSecret(): string {
  return `${PREFIX}${bytesToBase64(crypto.getRandomValues(new Uint8Array(SIGNING_KEY_BYTES)))}`;
}

/**
 * The same secret written in the standard base64 alphabet with padding. Secrets issued before
 * were URL-safe base64 (`-_`, unpadded), which Standard Webhooks libraries refuse to decode; the
 * key bytes, and so every signature, stay the same. Other secrets are returned as they are.
 */
export function standardSecret(secret: string): string {
  if (!secret.startsWith(PREFIX)) return secret;
  const bytes = base64ToBytes(secret.slice(PREFIX.length));
  return bytes && bytes.length > 0 ? `${PREFIX}${bytesToBase64(bytes)}` : secret;
}

/**
 * The HMAC key of a secret. A `whsec_` secret is base64 after its prefix (the Standard Webhooks
 * convention; the URL-safe alphabet of older secrets is accepted too) and its decoded bytes are
 * the key; any other secret is used as its UTF-8 bytes.
 */
export function secretKeyBytes(secret: string): Uint8Array<ArrayBuffer> {
  if (secret.startsWith(PREFIX)) {
    const bytes = base64ToBytes(secret.slice(PREFIX.length));
    if (bytes && bytes.length > 0) return bytes;
  }
  return new Uint8Array(new TextEncoder().encode(secret));
}

async function hmac(secret: string, content: string): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey("raw", secretKeyBytes(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(content)));
}

/** The `v1,<base64>` signature of `body` sent with message `id` at `timestamp` (Unix seconds). */
export async function signatureFor(secret: string, id: string, timestamp: number, body: string): Promise<string> {
  return `v1,${bytesToBase64(await hmac(secret, `${id}.${timestamp}.${body}`))}`;
}

/** The signed headers for a delivery of `body`; `now` is epoch milliseconds (default: the clock). */
export async function signedHeaders(secret: string, id: string, body: string, now = Date.now()): Promise<SignedHeaders> {
  const timestamp = Math.floor(now / 1000);
  return {
    "webhook-id": id,
    "webhook-timestamp": String(timestamp),
    "webhook-signature": await signatureFor(secret, id, timestamp, body),
  };
}

function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/**
 * Whether one of the space-separated signatures in `headers["webhook-signature"]` matches `body`
 * and the timestamp is within `toleranceSeconds` (default 300) of `now` (epoch ms).
 */
export async function verifySignature(
  secret: string,
  headers: { id: string; timestamp: string; signature: string },
  body: string,
  now = Date.now(),
  toleranceSeconds = DEFAULT_TOLERANCE_SECONDS,
): Promise<boolean> {
  const ts = Number(headers.timestamp);
  if (!/^\d+$/.test(headers.timestamp) || Math.abs(now / 1000 - ts) > toleranceSeconds) return false;
  const expected = await signatureFor(secret, headers.id, ts, body);
  return headers.signature.split(" ").some((candidate) => constantTimeEqual(candidate, expected));
}
