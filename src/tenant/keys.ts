// API keys: `ec_<tenant>_<key id>_<secret>_<mac>`. The tenant id is readable so a key finds its
// tenant without a global lookup; the MAC (domain/mac.ts) lets the Worker refuse a forged key
// without asking the tenant's object; only the SHA-256 of the whole key is stored.

import { newId, sha256Hex, TENANT_ID_PATTERN } from "../domain/ids";
import { macMatches, macOf, randomHex } from "../domain/mac";

/** Bytes of randomness in a key's secret part: 16 (128 bits, 32 hex characters). */
export const KEY_SECRET_BYTES = 16;

export interface IssuedKey {
  id: string;
  key: string;
  hash: string;
}

/** The parts of a signed key. */
export interface ParsedKey {
  tenant: string;
  keyId: string;
  secret: string;
  mac: string;
}

const SIGNED_KEY = /^ec_([a-z0-9][a-z0-9-]{0,63})_(key_[0-9a-z]{21})_([0-9a-f]{32})_([0-9a-f]{32})$/;

/** A new key for a tenant, signed with `signingKey`; the key is shown once, the hash is what is stored. */
export async function issueKey(signingKey: CryptoKey, tenantId: string): Promise<IssuedKey> {
  if (!TENANT_ID_PATTERN.test(tenantId)) throw new Error(`not a tenant id: ${tenantId}`);
  const id = newId("key");
  const secret = randomHex(KEY_SECRET_BYTES);
  const mac = await macOf(signingKey, "api-key", [tenantId, id, secret]);
  const key = `ec_${tenantId}_${id}_${secret}_${mac}`;
  return { id, key, hash: await sha256Hex(key) };
}

/** The parts of a key of the signed shape, or null (a malformed key, or one issued before keys were signed). */
export function parseKey(key: string): ParsedKey | null {
  const m = SIGNED_KEY.exec(key);
  if (!m) return null;
  return { tenant: m[1]!, keyId: m[2]!, secret: m[3]!, mac: m[4]! };
}

/** Whether the key's MAC was made with `signingKey` over its tenant, key id and secret. */
export function keyMacValid(signingKey: CryptoKey, key: ParsedKey): Promise<boolean> {
  return macMatches(signingKey, "api-key", [key.tenant, key.keyId, key.secret], key.mac);
}

/**
 * The tenant a string of the form `ec_<tenant>_<anything>` names, or null. Used to recognise keys
 * issued before keys were signed (`ec_<tenant>_<secret>`), which are refused with a message saying so.
 */
export function keyTenant(key: string): string | null {
  if (!key.startsWith("ec_")) return null;
  const rest = key.slice(3);
  const cut = rest.indexOf("_");
  if (cut <= 0 || cut === rest.length - 1) return null;
  const tenant = rest.slice(0, cut);
  return TENANT_ID_PATTERN.test(tenant) ? tenant : null;
}

/** The stored form of a key: hex SHA-256 of the whole key. */
export const hashKey = sha256Hex;
