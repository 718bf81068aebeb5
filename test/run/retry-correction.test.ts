// Where a corrected retry resumes and whether it replans, decided from the plan and step statuses.

import { describe, expect, it } from "vitest";
import { decideCorrectedRetry } from "../../src/run/retry-correction";

const plan = [
  { title: "a", instructions: "a" },
  { title: "b", instructions: "b" },
  { title: "c", instructions: "c" },
];
const steps = (...statuses: string[]) => statuses.map((status, i) => ({ idx: i + 1, status }));

describe("a corrected retry's decision", () => {
  it("without a correction it resumes at the first step not completed and keeps the plan", () => {
    expect(decideCorrectedRetry(plan, steps("completed", "failed", "pending"), {})).toEqual({ ok: true, from: 2, replan: false });
  });

  it("from_step may name a completed step or the first one not completed", () => {
    expect(decideCorrectedRetry(plan, steps("completed", "failed", "pending"), { fromStep: 1 })).toMatchObject({ ok: true, from: 1 });
    expect(decideCorrectedRetry(plan, steps("completed", "failed", "pending"), { fromStep: 2 })).toMatchObject({ ok: true, from: 2 });
  });

  it("a new input replans from from_step, or from the first step not completed", () => {
    expect(decideCorrectedRetry(plan, steps("completed", "failed", "pending"), { input: "x", fromStep: 1 })).toEqual({
      ok: true,
      from: 1,
      replan: true,
    });
    expect(decideCorrectedRetry(plan, steps("completed", "completed", "failed"), { input: "x" })).toEqual({
      ok: true,
      from: 3,
      replan: true,
    });
  });

  it("a run that failed while planning is planned from the new input; from_step is refused there", () => {
    expect(decideCorrectedRetry(null, [], { input: "x" })).toEqual({ ok: true, from: 1, replan: false });
    expect(decideCorrectedRetry(null, [], { fromStep: 1 })).toEqual({ ok: false, message: expect.stringMatching(/before it had a plan/) });
  });

  it("a step beyond the plan or never reached is refused", () => {
    expect(decideCorrectedRetry(plan, steps("completed", "failed", "pending"), { fromStep: 4 })).toEqual({
      ok: false,
      message: "from_step: the plan has 3 steps",
    });
    expect(decideCorrectedRetry(plan, steps("completed", "failed", "pending"), { fromStep: 3 })).toMatchObject({
      ok: false,
      message: expect.stringMatching(/step 3 was never reached/),
    });
  });
});
