// Progress notes for live watchers: a worker sends a note as a model or tool call starts and
// finishes, only while the run object's last answer (claim, commit, renewal or note) said someone
// watches. Unwatched, a unit sends nothing: no request, no row.

import { errorText, log } from "../ops/log";
import type { Progress } from "../run/protocol";

/** Sends one note to the run object; resolves to whether anyone still watches. */
export type ProgressSender = (note: Progress) => Promise<boolean>;

export type ProgressNote = Omit<Progress, "at" | "attempt" | "step">;

export class ProgressReporter {
  /**
   * Every note sent so far, settled. Notes are sent at once, not one after another: they go
   * through one stub of the run object, and calls on one Durable Object stub are delivered in the
   * order they were made (E-order), so a note never waits for the answer to the one before it.
   */
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly send: ProgressSender | null,
    /** Whether anyone watches, as the run object last said. */
    public watched = false,
  ) {}

  /** A reporter that never sends (no watchers can exist, as in unit tests). */
  static readonly silent = new ProgressReporter(null);

  /** Notes a call starting or finishing, for `step` (attempt `attempt`); nothing when unwatched. */
  note(step: number, attempt: number, note: ProgressNote): void {
    const send = this.send;
    if (!send || !this.watched) return;
    const full: Progress = { ...note, step, attempt, at: Date.now() };
    const sent = send(full).then(
      (watched) => {
        this.watched = watched;
      },
      (e: unknown) => {
        // A lost note is only a missed live update: the durable events follow at the commit.
        log.debug("progress.send_failed", "progress note not delivered", { error: errorText(e) });
      },
    );
    this.chain = Promise.all([this.chain, sent]).then(() => undefined);
  }

  /** Resolves when the notes sent so far have arrived (before a commit, so they precede its events). */
  settled(): Promise<void> {
    return this.chain;
  }
}
