// Model failures through the real SDK: an overloaded API is retried after its retry-after, a bad
// key fails the run at once with a message that says what to fix and never shows the key.
import { describe, expect, it } from "vitest";
import { allEvents, createRun, newTenant, waitForRun } from "../helpers/api";
import { complete, newScope, plan, requestsFor, script } from "../helpers/fake-model";
import { FAKE_ANTHROPIC_API_KEY } from "../support/anthropic-constants";

describe("model errors through the Anthropic SDK", () => {
  it("529 with retry-after: 2 schedules a visible retry of at least 2 s, then succeeds", async () => {
    const t = await newTenant();
    const scope = newScope("overloaded");
    await script(scope, [
      plan(["Answer"]),
      { status: 529, message: "Overloaded", headers: { "retry-after": "2" } },
      complete("Answered", "ok"),
    ]);
    const created = await createRun({ agent: "support", input: `Please answer (${scope})` }, t.key);
    const run = await waitForRun(created.id, { key: t.key });
    expect(run.status).toBe("succeeded");
    expect(run.steps[0]).toMatchObject({ status: "completed", attempts: 2 });
    const events = await allEvents(created.id, t.key);
    const retry = events.find((e) => e.type === "retry.scheduled");
    expect(retry?.data).toMatchObject({ step: 1, code: "model_overloaded", next_attempt: 2 });
    expect(retry?.data.delay_ms).toBeGreaterThanOrEqual(2000);
    // The retry waited: the repeated call came at least 2 s after the failed one.
    const [, failed, retried] = await requestsFor(scope);
    expect(failed?.status).toBe(529);
    expect(Date.parse(retried!.at) - Date.parse(failed!.at)).toBeGreaterThanOrEqual(1900);
  });

  it("401 fails the run at once, naming the problem and not the key", async () => {
    const t = await newTenant();
    const scope = newScope("unauthorized");
    await script(scope, [{ status: 401, message: "invalid x-api-key" }]);
    const created = await createRun({ agent: "general", input: `Anything (${scope})` }, t.key);
    const run = await waitForRun(created.id, { key: t.key });
    expect(run.status).toBe("failed");
    expect(run.error.code).toBe("model_unauthorized");
    expect(run.error.retryable).toBe(false);
    expect(run.error.message).toContain("ANTHROPIC_API_KEY is invalid");
    const events = await allEvents(created.id, t.key);
    expect(events.some((e) => e.type === "retry.scheduled")).toBe(false);
    expect(JSON.stringify({ run, events })).not.toContain(FAKE_ANTHROPIC_API_KEY);
    expect(await requestsFor(scope)).toHaveLength(1);
  });
});
