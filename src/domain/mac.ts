// Message authentication of the credentials the Worker hands out (API keys, stream tickets):
// HMAC-SHA256 under the deployment's signing secret, truncated to 128 bits and written in hex, so
// a forged credential is refused by the Worker alone, before any Durable Object is asked.

/** Shortest signing secret accepted (characters); shorter ones are a configuration error. */
export const MIN_SIGNING_SECRET_LENGTH = 32;

/** Bytes of HMAC kept in a credential: 16 (128 bits, 32 hex characters). */
export const MAC_BYTES = 16;

/** Pattern of a MAC as credentials carry it. */
export const MAC_PATTERN = /^[0-9a-f]{32}$/;

/**
 * What a credential's MAC is for. The purpose is part of the signed text, so the MAC of one kind
 * of credential can never stand for another (a key's MAC is no ticket's).
 */
export type MacPurpose = "api-key" | "stream-ticket";

/** Why a signing secret cannot be used, or null when it can. Never contains the secret. */
export function signingSecretProblem(secret: string | null): string | null {
  if (secret === null) return "is not set";
  if (secret.length < MIN_SIGNING_SECRET_LENGTH) return `is shorter than ${MIN_SIGNING_SECRET_LENGTH} characters`;
  return null;
}

/** The HMAC-SHA256 key of a signing secret (its UTF-8 bytes). */
export function importSigningKey(secret: string): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
}

/**
 * The MAC of `fields` for `purpose`: the first MAC_BYTES of HMAC-SHA256 over the purpose and the
 * fields joined by newlines, in lowercase hex. Fields must not contain a newline (every field of a
 * credential matches a pattern without one), so two different field lists never sign the same text.
 */
export async function macOf(key: CryptoKey, purpose: MacPurpose, fields: readonly string[]): Promise<string> {
  const text = [`edgecrew/${purpose}`, ...fields].join("\n");
  const full = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(text)));
  let hex = "";
  for (const b of full.subarray(0, MAC_BYTES)) hex += b.toString(16).padStart(2, "0");
  return hex;
}

/** Whether `mac` is the MAC of `fields` for `purpose` (compared in constant time). */
export async function macMatches(key: CryptoKey, purpose: MacPurpose, fields: readonly string[], mac: string): Promise<boolean> {
  const expected = await macOf(key, purpose, fields);
  if (mac.length !== expected.length) return false;
  let diff = 0;
  for (let i = 0; i < expected.length; i++) diff |= expected.charCodeAt(i) ^ mac.charCodeAt(i);
  return diff === 0;
}

/** `bytes` random bytes in lowercase hex. */
export function randomHex(bytes: number): string {
  let hex = "";
  for (const b of crypto.getRandomValues(new Uint8Array(bytes))) hex += b.toString(16).padStart(2, "0");
  return hex;
}
