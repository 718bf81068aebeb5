// API keys: `ec_<tenant>_<secret>`. The tenant id is readable so a key finds its tenant without a
// global lookup; only the SHA-256 of the whole key is stored.

import { newId, randomSecret, sha256Hex, TENANT_ID_PATTERN } from "../domain/ids";

export interface IssuedKey {
  id: string;
  key: string;
  hash: string;
}

/** A new key for a tenant; the key itself is shown once, the hash is what is stored. */
export async function issueKey(tenantId: string): Promise<IssuedKey> {
  const key = `ec_${tenantId}_${randomSecret(24)}`;
  return { id: newId("key"), key, hash: await sha256Hex(key) };
}

/** The tenant a key claims to belong to, or null when the key has the wrong shape. */
export function keyTenant(key: string): string | null {
  if (!key.startsWith("ec_")) return null;
  const rest = key.slice(3);
  const cut = rest.indexOf("_");
  if (cut <= 0 || cut === rest.length - 1) return null;
  const tenant = rest.slice(0, cut);
  return TENANT_ID_PATTERN.test(tenant) ? tenant : null;
}

export const hashKey = sha256Hex;
