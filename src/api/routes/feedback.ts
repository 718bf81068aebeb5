// Feedback on final runs (POST /v1/runs/:id/feedback) and its list and training export
// (GET /v1/feedback, NDJSON with Accept: application/x-ndjson).

import { Hono } from "hono";
import { ApiError } from "../../domain/errors";
import { FINAL_STATUSES } from "../../domain/types";
import type { RunView } from "../../run/view";
import type { FeedbackFilter, FeedbackView, Rating, TrainingExample } from "../../tenant/feedback-store";
import type { AppEnv } from "../app-env";
import { requireTenant, tenantStub } from "../auth";
import { jsonBytes, queryInt, readJsonObject } from "../http";
import { MAX_INPUT_BYTES } from "../schemas";
import { runStub } from "../stubs";

const FIELDS = ["rating", "comment", "correction", "step"];
/** Training examples read per call to the tenant while an NDJSON export streams. */
const EXPORT_PAGE = 100;
const invalid = (field: string, message: string) => new ApiError("invalid_request", `${field}: ${message}`, { field });

export const feedback = new Hono<AppEnv>();

feedback.post("/runs/:id/feedback", requireTenant, async (c) => {
  const stub = runStub(c.env, c.req.param("id"));
  const { body } = await readJsonObject(c);
  for (const k of Object.keys(body)) if (!FIELDS.includes(k)) throw invalid(k, "unknown field");
  if (body.rating !== "up" && body.rating !== "down") throw invalid("rating", 'must be "up" or "down"');
  const comment = body.comment ?? null;
  if (comment !== null && (typeof comment !== "string" || comment.length > 2000))
    throw invalid("comment", "a string of at most 2000 characters");
  const correction = body.correction ?? null;
  if (correction !== null && jsonBytes(correction) > MAX_INPUT_BYTES)
    throw new ApiError("payload_too_large", `correction is over ${MAX_INPUT_BYTES} bytes`, { field: "correction" });
  const step = body.step ?? null;
  if (step !== null && (!Number.isInteger(step) || (step as number) < 1)) throw invalid("step", "must be a step number (1 or more)");
  const run = (await stub.get(c.get("tenant"))) as RunView | null;
  if (!run) throw new ApiError("not_found", "run not found");
  if (!(FINAL_STATUSES as readonly string[]).includes(run.status))
    throw new ApiError("conflict", `feedback is for final runs; this run is ${run.status}`);
  if (step !== null && (step as number) > run.steps.length)
    throw invalid("step", run.steps.length === 0 ? "the run has no steps" : `the run has ${run.steps.length} steps`);
  const saved: FeedbackView = await tenantStub(c.env, c.get("tenant")).addFeedback({
    run_id: run.id,
    agent: run.agent,
    rating: body.rating,
    comment,
    correction,
    step: step as number | null,
    actor: c.get("actor"),
    input: run.input,
    plan: run.plan,
    output: run.output,
  });
  return c.json(saved, 201);
});

feedback.get("/feedback", requireTenant, async (c) => {
  const agent = c.req.query("agent") ?? null;
  if (agent !== null && !/^[a-z0-9][a-z0-9_-]{0,63}$/.test(agent)) throw invalid("agent", "must be an agent name");
  const rating = c.req.query("rating") ?? null;
  if (rating !== null && rating !== "up" && rating !== "down") throw invalid("rating", "must be up or down");
  const after = queryInt(c, "after", 0, Number.MAX_SAFE_INTEGER, 0);
  const tenant = tenantStub(c.env, c.get("tenant"));
  const filter: FeedbackFilter = { agent, rating: rating as Rating | null, after, limit: 0 };
  if (!(c.req.header("accept") ?? "").includes("application/x-ndjson")) {
    const limit = queryInt(c, "limit", 1, 100, 50);
    return c.json(await tenant.listFeedback({ ...filter, limit }));
  }
  // The export: every matching example after `after` (at most `limit`), one JSON object a line.
  const limit = queryInt(c, "limit", 1, 1_000_000, 1_000_000);
  const encoder = new TextEncoder();
  let cursor = after;
  let left = limit;
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const page: { examples: TrainingExample[]; next_after: number } = await tenant.feedbackExamples({
        ...filter,
        after: cursor,
        limit: Math.min(EXPORT_PAGE, left),
      });
      if (page.examples.length > 0) controller.enqueue(encoder.encode(page.examples.map((e) => `${JSON.stringify(e)}\n`).join("")));
      cursor = page.next_after;
      left -= page.examples.length;
      if (page.examples.length < EXPORT_PAGE || left <= 0) controller.close();
    },
  });
  return new Response(stream, { headers: { "content-type": "application/x-ndjson" } });
});
