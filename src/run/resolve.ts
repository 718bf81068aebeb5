// A person's resolution of a failed or dead run (`POST /v1/runs/:id/resolve`): recorded once on
// the run row, its status unchanged, journaled as `run.resolved`, and synced to the tenant's index.

import type { Actor } from "../domain/actor";
import type { NewEvent } from "../domain/types";
import type { Effects, RunEngine, Transition } from "./engine";
import type { Journal, Resolution } from "./journal";
import type { RunRefusal } from "./protocol";
import { isRetryable } from "./state";

/** What the person sends: resolved with the output they supply, or dismissed. */
export interface ResolveRequest {
  action: "resolved" | "dismissed";
  output: unknown;
  comment: string | null;
  actor: Actor;
}

const NONE: Effects = { events: [] };

/**
 * Records the resolution of the tenant's failed or dead run. Another tenant's run is not found; a
 * run in another status, or one already resolved, is a conflict and nothing is written.
 */
export function resolveRun(
  e: RunEngine,
  j: Journal,
  tenantId: string,
  r: ResolveRequest,
  now: number,
): Transition<RunRefusal<"not_found" | "conflict"> | null> {
  const run = j.run();
  if (!run || run.tenant_id !== tenantId) return { result: { error: { code: "not_found", message: "run not found" } }, effects: NONE };
  if (!isRetryable(run.status)) {
    const message = `only failed or dead runs are exceptions to resolve; this run is ${run.status}`;
    return { result: { error: { code: "conflict", message } }, effects: NONE };
  }
  if (run.resolution) {
    const message = `this run was already ${run.resolution.action} at ${run.resolution.at}`;
    return { result: { error: { code: "conflict", message } }, effects: NONE };
  }
  const resolution: Resolution = {
    action: r.action,
    output: r.output ?? null,
    comment: r.comment,
    actor: { type: r.actor.type, id: r.actor.id },
    at: new Date(now).toISOString(),
  };
  // Same status, new version: the tenant's index hears of the resolution like of any change.
  e.setStatus(run.status, { resolution });
  const ev: NewEvent = {
    type: "run.resolved",
    level: "info",
    message: `exception ${r.action} by ${r.actor.type} ${r.actor.id}`,
    data: resolution,
  };
  return { result: null, effects: { events: j.append([ev], now) } };
}
