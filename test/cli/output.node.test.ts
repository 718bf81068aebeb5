// The CLI's duration text: milliseconds under a second (a scripted run can finish in 20 ms),
// seconds with one decimal under a minute, then minutes and seconds.
import { describe, expect, it } from "vitest";
import { duration } from "../../src/cli/output";

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
