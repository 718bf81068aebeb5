// Identifiers: time-ordered, URL-safe ids with a type prefix, and random secrets.

const ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz";

function randomChars(n: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(n));
  let out = "";
  for (const b of bytes) out += ALPHABET[b % 36];
  return out;
}

/**
 * A new id `prefix_<time><random>`: ids of one prefix sort by creation time (to the millisecond),
 * so "newest first" is a plain descending sort.
 */
export function newId(prefix: string): string {
  const time = Date.now().toString(36).padStart(9, "0");
  return `${prefix}_${time}${randomChars(12)}`;
}

/** A random secret of `bytes` bytes, base64url-encoded. */
export function randomSecret(bytes = 24): string {
  const raw = crypto.getRandomValues(new Uint8Array(bytes));
  return btoa(String.fromCharCode(...raw))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
}

/** Hex SHA-256 of a string. */
export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Run ids: `run_` + 21 lowercase base36 chars. */
export const RUN_ID_PATTERN = /^run_[0-9a-z]{21}$/;
/** Tenant ids: lowercase letters, digits and dashes, 1..64, no underscore (keys embed them). */
export const TENANT_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,63}$/;
