// Queue message schemas: lane messages carry ids only.

import { RUN_ID_PATTERN, TENANT_ID_PATTERN } from "../domain/ids";
import type { RunMessage } from "../run/protocol";

/** Parses a lane (or DLQ) message body; null when it is not one. */
export function parseRunMessage(body: unknown): RunMessage | null {
  const b = body as Partial<RunMessage> | null;
  if (!b || typeof b !== "object") return null;
  if (typeof b.run !== "string" || !RUN_ID_PATTERN.test(b.run)) return null;
  if (typeof b.tenant !== "string" || !TENANT_ID_PATTERN.test(b.tenant)) return null;
  if (!Number.isInteger(b.gen) || (b.gen as number) < 1) return null;
  return { run: b.run, tenant: b.tenant, gen: b.gen as number };
}
