// Which queue a batch came from: the three run lanes, the dead-letter queue, the events queue.

import type { Priority } from "../domain/types";

export type QueueKind = { kind: "lane"; lane: Priority } | { kind: "dlq" } | { kind: "events" };

/** Classifies a queue by its name's suffix (`-runs-high`, `-dlq`, `-events`, ...). */
export function queueKind(name: string): QueueKind | null {
  if (/-runs-high$/.test(name)) return { kind: "lane", lane: "high" };
  if (/-runs-normal$/.test(name)) return { kind: "lane", lane: "normal" };
  if (/-runs-low$/.test(name)) return { kind: "lane", lane: "low" };
  if (/-dlq$/.test(name)) return { kind: "dlq" };
  if (/-events$/.test(name)) return { kind: "events" };
  return null;
}
