// The CLI's texts: a progress note on the spinner, and the duration: milliseconds under a second (a scripted run can finish in 20 ms),
// seconds with one decimal under a minute, then minutes and seconds.
import { describe, expect, it } from "vitest";
import { duration } from "../../src/cli/output";
import { noteText } from "../../src/cli/progress";
import type { ProgressNote } from "../../src/client/index";

describe("duration", () => {
  const at = (ms: number) => new Date(Date.UTC(2026, 0, 1) + ms).toISOString();

  it.each([
    [0, "0ms"],
    [42, "42ms"],
    [999, "999ms"],
    [1000, "1.0s"],
    [3249, "3.2s"],
    [125_000, "2m 5s"],
  ])("%i ms is %s", (ms, text) => {
    expect(duration(at(0), at(ms))).toBe(text);
  });

  it("is null when a timestamp is missing or the end precedes the start", () => {
    expect(duration(null, at(5))).toBeNull();
    expect(duration(at(5), undefined)).toBeNull();
    expect(duration(at(5), at(0))).toBeNull();
  });
});

describe("a progress note on the spinner", () => {
  const note = (kind: ProgressNote["kind"], extra: Partial<ProgressNote> = {}): ProgressNote => ({
    type: "progress",
    run_id: "run_1",
    kind,
    step: 2,
    attempt: 1,
    at: 0,
    ...extra,
  });

  it("says what is running and what finished, in which step", () => {
    expect(noteText(note("model.started", { call: 1 }), 3)).toBe("step 2 of 3: model call 1 running");
    expect(noteText(note("tool.started", { tool: "memory_set" }), 3)).toBe("step 2 of 3: tool memory_set running");
    expect(noteText(note("tool.finished", { tool: "http_request", ok: false, ms: 12 }))).toBe(
      "step 2 of ?: tool http_request failed after 12 ms",
    );
    expect(noteText(note("model.finished", { step: 0, call: 1, ok: true, ms: 40 }))).toBe("planning: model call 1 done after 40 ms");
  });
});
