import { describe, expect, it } from "vitest";
import { api, createRun, json, waitForRun } from "../helpers/api";

describe("GET /v1/workers", () => {
  it("lists a live worker while a run executes and none after it stops", async () => {
    const run = await createRun({ agent: "general", input: "- think !slow 1500" });
    await waitForRun(run.id, { until: (r) => r.status === "running" });
    const during = await json(api("/v1/workers"));
    const mine = during.workers.filter((w: any) => w.lane === "normal");
    expect(mine.length).toBeGreaterThanOrEqual(1);
    expect(mine[0].runs_in_flight).toBeGreaterThanOrEqual(1);
    expect(Date.parse(mine[0].last_beat_at)).toBeGreaterThan(Date.now() - 10_000);
    await waitForRun(run.id);
    // The worker removes itself when its batch ends; a vanished worker ages out after its TTL.
    const deadline = Date.now() + 10_000;
    let after = await json(api("/v1/workers"));
    while (after.workers.length > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      after = await json(api("/v1/workers"));
    }
    expect(after.workers).toEqual([]);
  });

  it("needs a key", async () => {
    const res = await api("/v1/workers", { key: null });
    expect(res.status).toBe(401);
  });
});
