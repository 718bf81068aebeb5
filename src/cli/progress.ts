// Readable progress of a followed run: the plan, "step i of n" with its title, each model and tool
// call, approvals waiting with the command that decides them, and a final line with the status,
// duration and credits. A spinner shows what is happening now, on a terminal only.

import yoctoSpinner from "yocto-spinner";
import type { ProgressNote, RunEvent } from "../client/index";
import { clip, duration, line } from "./output";

type Data = Record<string, unknown>;

const INDENT = "      ";

export class Progress {
  private total = 0;
  private step = 0;
  private readonly spinner;

  /** `interactive`: standard error is a terminal, so a spinner may be drawn there. */
  constructor(interactive: boolean) {
    this.spinner = interactive ? yoctoSpinner({ stream: process.stderr }) : null;
  }

  /** Whether a spinner is drawn (only then are live progress notes worth asking for). */
  get interactive(): boolean {
    return this.spinner !== null;
  }

  /** A live progress note: the call in flight, on the spinner only (it is not part of the log). */
  note(note: ProgressNote): void {
    this.activity(noteText(note, this.total));
  }

  /** Prints what `event` means for a person, then shows the current activity on the spinner. */
  event(event: RunEvent): void {
    const d = (event.data ?? {}) as Data;
    switch (event.type) {
      case "run.created":
      case "run.queued":
      case "credits.charged":
        break;
      case "run.scheduled":
        this.print(`scheduled: ${event.message}`);
        break;
      case "run.started":
        this.print(`started${typeof d.attempt === "number" && d.attempt > 1 ? ` (attempt ${d.attempt})` : ""}`);
        this.activity("planning");
        break;
      case "plan.created": {
        const steps = Array.isArray(d.steps) ? (d.steps as Data[]) : [];
        this.total = steps.length;
        this.print(`plan: ${steps.length} step${steps.length === 1 ? "" : "s"}`);
        for (const [i, s] of steps.entries()) this.print(`  ${i + 1}. ${clip(String(s.title ?? ""), 100)}`);
        break;
      }
      case "step.started": {
        this.step = Number(d.step ?? this.step + 1);
        const extra = d.resumed ? " (resumed)" : typeof d.attempt === "number" && d.attempt > 1 ? ` (attempt ${d.attempt})` : "";
        this.print(`step ${this.step} of ${this.total || "?"}: ${clip(String(d.title ?? event.message), 100)}${extra}`);
        this.activity(`step ${this.step} of ${this.total || "?"}`);
        break;
      }
      case "model.call": {
        const usage = (d.usage ?? {}) as Data;
        const what = d.step === 0 ? "planning: model" : "model";
        this.print(
          `${INDENT}${what} ${d.model ?? "?"} · ${usage.input_tokens ?? 0} in / ${usage.output_tokens ?? 0} out tokens · ${d.credits ?? 0} credits`,
        );
        break;
      }
      case "tool.call":
        this.print(`${INDENT}tool ${d.tool} ${clip(JSON.stringify(d.input ?? {}), 80)}`);
        break;
      case "tool.result":
        if (d.ok === false) this.print(`${INDENT}tool ${d.tool} failed: ${clip(String(d.error ?? ""), 120)}`);
        break;
      case "approval.requested": {
        const id = String(d.approval_id ?? "");
        this.print(`${INDENT}waiting for approval ${id}: ${clip(String(d.reason ?? ""), 100)}`);
        this.print(`${INDENT}  approve: edgecrew approve ${id}`);
        this.print(`${INDENT}  reject:  edgecrew reject ${id} --comment "why"`);
        this.activity(`waiting for approval ${id}`);
        break;
      }
      case "approval.decided":
        this.print(`${INDENT}${event.message}${d.comment ? `: ${clip(String(d.comment), 80)}` : ""}`);
        break;
      case "step.completed":
        this.print(`${INDENT}done: ${clip(String(d.summary ?? ""), 100)}`);
        break;
      case "step.failed":
      case "retry.scheduled":
        this.print(`${INDENT}${event.message}`);
        break;
      default:
        // Final events get their own line from finish(); anything else is shown as it is.
        if (!event.type.startsWith("run.")) this.print(`${INDENT}${event.type}: ${event.message}`);
    }
  }

  /** The final line: status, duration and credits of the finished run. */
  finish(run: {
    status?: unknown;
    created_at?: unknown;
    started_at?: unknown;
    finished_at?: unknown;
    credits?: unknown;
    error?: unknown;
  }): void {
    this.spinner?.stop();
    const took = duration(run.started_at ?? run.created_at, run.finished_at);
    const spent = (run.credits as { spent?: unknown } | null)?.spent;
    const error = run.error as { code?: unknown; message?: unknown } | null;
    const parts = [String(run.status), took ? `in ${took}` : null, `${spent ?? 0} credits`];
    line(parts.filter(Boolean).join(" · "));
    if (error?.message) line(`error: ${error.code ? `${error.code}: ` : ""}${error.message}`);
  }

  /** Stops the spinner (when following ends early). */
  stop(): void {
    this.spinner?.stop();
  }

  /** A line above the spinner (the spinner redraws itself below what is written to the terminal). */
  private print(text: string): void {
    line(text);
  }

  private activity(text: string): void {
    if (!this.spinner) return;
    this.spinner.text = text;
    if (!this.spinner.isSpinning) this.spinner.start();
  }
}

/** The spinner's text for a progress note, e.g. "step 2 of 3: tool memory_set running". */
export function noteText(note: ProgressNote, total = 0): string {
  const where = note.step === 0 ? "planning" : `step ${note.step} of ${total || "?"}`;
  const what = note.kind.startsWith("model.") ? `model call ${note.call ?? ""}`.trimEnd() : `tool ${note.tool ?? "?"}`;
  if (note.kind.endsWith(".started")) return `${where}: ${what} running`;
  return `${where}: ${what} ${note.ok === false ? "failed" : "done"} after ${note.ms ?? 0} ms`;
}
