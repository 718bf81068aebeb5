// The cursor of GET /v1/runs: the position of the last run of a page in the listing order
// (creation time, then id, both descending), so a page boundary never moves as runs are created.

import { RUN_ID_PATTERN } from "../domain/ids";

/** A position in the run listing: a run's creation time (epoch ms) and id. */
export interface RunsCursor {
  createdAt: number;
  id: string;
}

const CURSOR = /^(\d{1,15})\.(run_[0-9a-z]{21})$/;

/** The cursor after `c`, as the API hands it out: `<created_at ms>.<run id>`. Opaque to clients. */
export function encodeRunsCursor(c: RunsCursor): string {
  return `${c.createdAt}.${c.id}`;
}

/**
 * Reads a cursor: a position, a bare run id (cursors of earlier versions, resolved against the
 * index by the store), or null when it is neither.
 */
export function parseRunsCursor(s: string): RunsCursor | { legacyId: string } | null {
  const m = CURSOR.exec(s);
  if (m) return { createdAt: Number(m[1]), id: m[2]! };
  return RUN_ID_PATTERN.test(s) ? { legacyId: s } : null;
}

/** The creation time (epoch ms) written into a run id by `newId`. */
export function runIdTime(id: string): number {
  return Number.parseInt(id.slice("run_".length, "run_".length + 9), 36);
}
