// Pricing (docs/credits.md): ceil(in × perK_in / 1000 + out × perK_out / 1000) per call.
import { describe, expect, it } from "vitest";
import { callPrice, DEFAULT_PRICING, fitCharge } from "../../src/domain/pricing";
import { ZERO_USAGE } from "../../src/domain/types";

const usage = (input_tokens: number, output_tokens: number) => ({ ...ZERO_USAGE, input_tokens, output_tokens });

describe("callPrice", () => {
  it("the scripted model's default call (100 in, 20 out) costs 1 credit", () => {
    expect(callPrice(usage(100, 20), DEFAULT_PRICING)).toBe(1);
  });

  it("rounds the sum up once, not each part", () => {
    // 0.5 + 0.5 = 1, not ceil(0.5) + ceil(0.5) = 2.
    expect(callPrice(usage(500, 100), DEFAULT_PRICING)).toBe(1);
    expect(callPrice(usage(501, 100), DEFAULT_PRICING)).toBe(2);
  });

  it("exact thousands are not rounded up by float noise", () => {
    expect(callPrice(usage(1000, 0), DEFAULT_PRICING)).toBe(1);
    expect(callPrice(usage(0, 1000), DEFAULT_PRICING)).toBe(5);
    // 708 × 1.2 / 1000 + 896 × 2.4 / 1000 is 3.0000000000000004 in floating point; exactly 3 credits.
    expect(callPrice(usage(708, 896), { perThousandInput: 1.2, perThousandOutput: 2.4, perRun: 0 })).toBe(3);
  });

  it("a call with no tokens is free; large calls scale linearly", () => {
    expect(callPrice(usage(0, 0), DEFAULT_PRICING)).toBe(0);
    expect(callPrice(usage(200_000, 8_000), DEFAULT_PRICING)).toBe(240);
  });

  it("follows the configured rates", () => {
    expect(callPrice(usage(3000, 1000), { perThousandInput: 3, perThousandOutput: 15, perRun: 0 })).toBe(24);
    expect(callPrice(usage(1, 1), { perThousandInput: 0, perThousandOutput: 0, perRun: 1 })).toBe(0);
  });

  it("defaults are 1 per 1k input, 5 per 1k output and 1 per run", () => {
    expect(DEFAULT_PRICING).toEqual({ perThousandInput: 1, perThousandOutput: 5, perRun: 1 });
  });
});

describe("fitCharge", () => {
  it("a charge within the budget is taken whole", () => {
    expect(fitCharge(0, 3, 10)).toEqual({ ok: true, amount: 3 });
    expect(fitCharge(7, 3, 10)).toEqual({ ok: true, amount: 3 });
  });

  it("a charge past the budget fails and takes only what is left, so spent never passes max", () => {
    expect(fitCharge(8, 3, 10)).toEqual({ ok: false, amount: 2 });
    expect(fitCharge(10, 1, 10)).toEqual({ ok: false, amount: 0 });
  });
});
