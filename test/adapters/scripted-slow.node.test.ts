// The scripted model's `!slow MS` directive: waits up to MAX_SLOW_MS; a larger value is clamped to
// it and the clamp is logged, so a typo cannot hold a worker for hours.
import { afterEach, describe, expect, it, vi } from "vitest";
import { MAX_SLOW_MS, parseDirectives } from "../../src/adapters/model/scripted";

afterEach(() => {
  vi.restoreAllMocks();
});

describe("!slow", () => {
  it("a !slow of 999,999,999 ms is clamped to the 60 s maximum and the clamp is logged", () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const d = parseDirectives("wait !slow 999999999");
    expect(MAX_SLOW_MS).toBe(60_000);
    expect(d.slowMs).toBe(60_000);
    expect(d.title).toBe("wait");
    expect(warn).toHaveBeenCalledTimes(1);
    expect(JSON.parse(String(warn.mock.calls[0]?.[0]))).toEqual({
      level: "warn",
      event: "model.slow_clamped",
      msg: "scripted model: !slow clamped",
      requested_ms: 999_999_999,
      max_ms: 60_000,
    });
  });

  it("values up to the maximum are kept as written, without a warning; negative or missing ones mean no wait", () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    expect(parseDirectives("a !slow 250").slowMs).toBe(250);
    expect(parseDirectives("b !slow 60000").slowMs).toBe(60_000);
    expect(parseDirectives("c !slow -5").slowMs).toBe(0);
    expect(parseDirectives("d !slow").slowMs).toBe(0);
    expect(parseDirectives("e !slow Infinity").slowMs).toBe(60_000);
    expect(warn).toHaveBeenCalledTimes(1);
  });
});
