// Progress notes: what a stream opened with `progress=true` receives besides the run's events.

/**
 * A transient note of work in progress: a model or tool call starting or finishing. The run object
 * broadcasts it to the watchers that asked for progress and stores nothing; the durable events
 * (`model.call`, `tool.call`, `tool.result`) are still written once, when the unit commits.
 */
export interface Progress {
  kind: "model.started" | "model.finished" | "tool.started" | "tool.finished";
  step: number;
  attempt: number;
  /** The model call's number in the unit (model notes). */
  call?: number;
  /** The tool's name (tool notes). */
  tool?: string;
  /** Finished notes: whether the call succeeded, and how long it took. */
  ok?: boolean;
  ms?: number;
  /** When the worker noted it (epoch ms). */
  at: number;
}

/** A progress note as a stream sends it: no `seq`, never stored, never replayed. */
export type ProgressFrame = { type: "progress"; run_id: string } & Progress;
