// The WorkspaceStore port: object storage for run workspaces, by full key. Adapter: r2 (the
// WORKSPACE bucket; local under wrangler dev and the test runtime). Rules live in src/workspace.

/** An object as a listing shows it. */
export interface StoredObject {
  key: string;
  /** Bytes. */
  size: number;
  /** When it was last written. */
  uploaded: Date;
}

/** An object's content and what is known of it. */
export interface ObjectContent extends StoredObject {
  body: ReadableStream<Uint8Array>;
  contentType: string;
}

/** Object storage for workspaces, by full key (prefixes are chosen by RunWorkspace). */
export interface WorkspaceStore {
  /** Writes (or overwrites) `key`. */
  put(key: string, body: Uint8Array, contentType: string): Promise<void>;
  /** The object at `key`, or null. */
  get(key: string): Promise<ObjectContent | null>;
  /** Every object whose key starts with `prefix`, in key order. */
  list(prefix: string): Promise<StoredObject[]>;
  /** Removes these keys (absent ones are ignored). */
  delete(keys: string[]): Promise<void>;
}
