// Following a run to its end for `run --follow|--wait` and `logs --follow`: NDJSON events with
// --json, readable progress otherwise, nothing with --wait; the exit code is the run's outcome.

import { type Context, EXIT } from "./context";
import { jsonLine } from "./output";
import { Progress } from "./progress";

export type FollowMode = "follow" | "wait";

/** Follows run `runId` after `after` until its final event; 0 when it succeeded, else 1. */
export async function followRun(ctx: Context, runId: string, mode: FollowMode, after = 0): Promise<number> {
  const progress = mode === "follow" && !ctx.json ? new Progress(process.stderr.isTTY === true) : null;
  try {
    for await (const event of ctx.client.follow(runId, {
      after,
      onReconnect: ({ after: seq, reason }) => {
        process.stderr.write(`connection lost (${reason}); resuming after event ${seq}\n`);
      },
      // The call in flight on the spinner; without a terminal nobody sees it, so none are asked for.
      ...(progress?.interactive ? { onProgress: (note) => progress.note(note) } : {}),
    })) {
      if (mode === "follow" && ctx.json) jsonLine(event);
      else progress?.event(event);
    }
  } finally {
    progress?.stop();
  }
  const run = (await ctx.client.runs.get(runId)) as Record<string, unknown>;
  if (mode === "wait" && ctx.json) jsonLine(run);
  else if (!ctx.json) (progress ?? new Progress(false)).finish(run);
  return run.status === "succeeded" ? EXIT.ok : EXIT.runNotSucceeded;
}
