// The size limits of a run's workspace and the variables that change them.

/** What one run's workspace may hold. */
export interface WorkspaceLimits {
  /** Largest file, bytes (default 1 MB: WORKSPACE_MAX_FILE_BYTES). */
  maxFileBytes: number;
  /** All files of a run together, bytes (default 50 MB: WORKSPACE_MAX_RUN_BYTES). */
  maxRunBytes: number;
  /** Number of files in a run (default 1,000: WORKSPACE_MAX_FILES). */
  maxFiles: number;
}

export const DEFAULT_WORKSPACE_LIMITS: WorkspaceLimits = {
  maxFileBytes: 1024 * 1024,
  maxRunBytes: 50 * 1024 * 1024,
  maxFiles: 1000,
};

type Read = (name: string) => string | null;

function positive(read: Read, name: string, fallback: number): number {
  const raw = read(name);
  if (raw === null) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer`);
  return n;
}

/** Workspace limits from settings read by `read` (unset: the defaults); a bad value throws. */
export function parseWorkspaceLimits(read: Read): WorkspaceLimits {
  return {
    maxFileBytes: positive(read, "WORKSPACE_MAX_FILE_BYTES", DEFAULT_WORKSPACE_LIMITS.maxFileBytes),
    maxRunBytes: positive(read, "WORKSPACE_MAX_RUN_BYTES", DEFAULT_WORKSPACE_LIMITS.maxRunBytes),
    maxFiles: positive(read, "WORKSPACE_MAX_FILES", DEFAULT_WORKSPACE_LIMITS.maxFiles),
  };
}
