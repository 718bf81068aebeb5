// WorkspaceStore over an R2 bucket (binding WORKSPACE).

import type { ObjectContent, StoredObject, WorkspaceStore } from "./port";

/** R2 returns at most 1,000 keys a page and deletes at most 1,000 keys a call. */
const PAGE = 1000;

/** The WorkspaceStore over `bucket`; lists page through R2's 1,000-key pages. */
export function r2WorkspaceStore(bucket: R2Bucket): WorkspaceStore {
  return {
    async put(key, body, contentType) {
      await bucket.put(key, body, { httpMetadata: { contentType } });
    },
    async get(key): Promise<ObjectContent | null> {
      const obj = await bucket.get(key);
      if (!obj) return null;
      return {
        key: obj.key,
        size: obj.size,
        uploaded: obj.uploaded,
        body: obj.body,
        contentType: obj.httpMetadata?.contentType ?? "application/octet-stream",
      };
    },
    async list(prefix): Promise<StoredObject[]> {
      const out: StoredObject[] = [];
      let cursor: string | undefined;
      for (;;) {
        const page = await bucket.list({ prefix, limit: PAGE, ...(cursor ? { cursor } : {}) });
        for (const o of page.objects) out.push({ key: o.key, size: o.size, uploaded: o.uploaded });
        if (!page.truncated) return out;
        cursor = page.cursor;
      }
    },
    async delete(keys) {
      for (let i = 0; i < keys.length; i += PAGE) await bucket.delete(keys.slice(i, i + PAGE));
    },
  };
}
