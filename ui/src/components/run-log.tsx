// A run's log as it streams: one line per event, with the connection's state and, while a unit
// runs, the model or tool call in flight (a live progress note, not part of the log).
import type { LogEvent, ProgressNote } from "../api/types";
import { type LogState, progressText } from "../live-log";

const STATE_LABEL: Record<LogState, string> = {
  connecting: "connecting…",
  live: "live",
  reconnecting: "connection lost, reconnecting…",
  done: "complete",
};

export function RunLog({
  events,
  state,
  error,
  now = null,
}: {
  events: LogEvent[];
  state: LogState;
  error: string | null;
  now?: ProgressNote | null;
}) {
  return (
    <section aria-labelledby="log-title">
      <h2 id="log-title">
        Log{" "}
        <span class={`log-state log-${state}`} data-log-state={state} role="status">
          {STATE_LABEL[state]}
        </span>
      </h2>
      {error && <p class="muted">{error}</p>}
      {now && state === "live" && (
        <p class="muted progress-now" data-testid="progress-now" aria-live="polite">
          {progressText(now)}
        </p>
      )}
      {events.length === 0 ? (
        <p class="state empty">{state === "done" ? "No events." : "Waiting for events…"}</p>
      ) : (
        <ol class="log" aria-label="Run log">
          {events.map((e) => (
            <li key={e.seq} class={`level-${e.level}`} data-type={e.type}>
              <span class="seq">{e.seq}</span>
              <time dateTime={e.ts}>{new Date(e.ts).toLocaleTimeString()}</time>
              <span class="type">{e.type}</span>
              <span class="message">{e.message}</span>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

/** Credits charged per unit of work, from the log: 0 is the plan, n the step n. */
export function creditsByStep(events: LogEvent[]): Map<number, number> {
  const byStep = new Map<number, number>();
  let current = 0;
  for (const e of events) {
    if (e.type === "step.started" && typeof e.data?.["step"] === "number") current = e.data["step"];
    if (e.type === "credits.charged" && typeof e.data?.["amount"] === "number") {
      byStep.set(current, (byStep.get(current) ?? 0) + e.data["amount"]);
    }
  }
  return byStep;
}
