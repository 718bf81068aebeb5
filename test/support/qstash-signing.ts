// How QStash signs a delivery: an HS256 JWT in `Upstash-Signature` with iss "Upstash", sub = the
// destination URL, a 5-minute lifetime and `body` = base64url SHA-256 of the body. Also the
// parser of QStash duration headers (`Upstash-Delay: 10s`, `1h30m`).
import { createHash, randomBytes } from "node:crypto";
import { SignJWT } from "jose";

/** Lifetime QStash gives its signatures, in seconds. */
export const SIGNATURE_LIFETIME_S = 300;

/** base64url SHA-256 of the body, padded like QStash's own claims. */
export function bodyHash(body: string | Uint8Array): string {
  const b64 = createHash("sha256").update(body).digest("base64");
  return b64.replaceAll("+", "-").replaceAll("/", "_");
}

/** What signDelivery signs. */
export interface SignOptions {
  /** Signing key (the current one, as QStash does). */
  key: string;
  /** Destination URL: the `sub` claim. */
  url: string;
  body: string | Uint8Array;
  /** Issue time in epoch seconds. Default now. */
  now?: number;
  /** Lifetime in seconds. Default 300. */
  lifetime?: number;
}

/** A signature exactly as QStash would put in `Upstash-Signature`. */
export async function signDelivery(opts: SignOptions): Promise<string> {
  const now = opts.now ?? Math.floor(Date.now() / 1000);
  return new SignJWT({ body: bodyHash(opts.body) })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuer("Upstash")
    .setSubject(opts.url)
    .setIssuedAt(now)
    .setNotBefore(now)
    .setExpirationTime(now + (opts.lifetime ?? SIGNATURE_LIFETIME_S))
    .setJti(`jwt_${randomBytes(16).toString("hex")}`)
    .sign(new TextEncoder().encode(opts.key));
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses a QStash duration ("45s", "10m", "1h30m", "2d"; a bare number is seconds) into ms. */
export function parseDuration(text: string): number | null {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  if (!/^(\d+(ms|s|m|h|d))+$/.test(trimmed)) return null;
  let total = 0;
  for (const m of trimmed.matchAll(/(\d+)(ms|s|m|h|d)/g)) total += Number(m[1]) * (UNIT_MS[m[2] ?? "s"] ?? 1000);
  return total;
}

/** QStash's default backoff before retry n (1-based): e^(2.5 n) seconds, at most a day. In ms. */
export function retryBackoffMs(retried: number): number {
  return Math.min(86_400, Math.exp(2.5 * retried)) * 1000;
}
