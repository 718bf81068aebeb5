// Feedback on final runs (POST /v1/runs/:id/feedback) and its list and training export
// (GET /v1/feedback, NDJSON with Accept: application/x-ndjson).

import { createRoute, z } from "@hono/zod-openapi";
import { ApiError } from "../../domain/errors";
import { FINAL_STATUSES } from "../../domain/types";
import type { RunView } from "../../run/view";
import type { FeedbackFilter, FeedbackView, TrainingExample } from "../../tenant/feedback-store";
import { requireTenant, tenantStub } from "../auth";
import { BODY_ERRORS, errors, json, RunIdParams, TENANT_ERRORS, TENANT_SECURITY } from "../schemas/common";
import { Feedback, FeedbackBody, FeedbackPage } from "../schemas/people";
import { runStub } from "../stubs";
import { jsonBody, router } from "../validation";

/** Training examples read per call to the tenant while an NDJSON export streams. */
const EXPORT_PAGE = 100;
/** Most feedback in one JSON page; an NDJSON export may ask for up to EXPORT_MAX examples. */
const PAGE_MAX = 100;
const EXPORT_MAX = 1_000_000;
const invalid = (field: string, message: string) => new ApiError("invalid_request", `${field}: ${message}`, { field });

export const feedback = router();
const tags = ["People"];

const give = createRoute({
  method: "post",
  path: "/runs/{id}/feedback",
  operationId: "giveFeedback",
  tags,
  security: TENANT_SECURITY,
  summary: "Give feedback on a final run",
  middleware: [requireTenant, jsonBody],
  request: { params: RunIdParams, body: { required: true, content: { "application/json": { schema: FeedbackBody } } } },
  responses: { 201: json(Feedback, "The feedback"), ...errors(...BODY_ERRORS, "not_found", "conflict", ...TENANT_ERRORS) },
});

feedback.openapi(give, async (c) => {
  const stub = runStub(c.env, c.req.valid("param").id);
  const body = c.req.valid("json");
  const comment = body.comment ?? null;
  const correction = body.correction ?? null;
  const step = body.step ?? null;
  const run = (await stub.get(c.get("tenant"))) as RunView | null;
  if (!run) throw new ApiError("not_found", "run not found");
  if (!(FINAL_STATUSES as readonly string[]).includes(run.status))
    throw new ApiError("conflict", `feedback is for final runs; this run is ${run.status}`);
  if (step !== null && step > run.steps.length)
    throw invalid("step", run.steps.length === 0 ? "the run has no steps" : `the run has ${run.steps.length} steps`);
  const saved: FeedbackView = await tenantStub(c.env, c.get("tenant")).addFeedback({
    run_id: run.id,
    agent: run.agent,
    rating: body.rating,
    comment,
    correction,
    step,
    actor: c.get("actor"),
    input: run.input,
    plan: run.plan,
    output: run.output,
  });
  return c.json(saved as z.infer<typeof Feedback>, 201);
});

const limitMsg = (max: number) => `must be an integer from 1 to ${max}`;

const list = createRoute({
  method: "get",
  path: "/feedback",
  operationId: "listFeedback",
  tags,
  security: TENANT_SECURITY,
  summary: "List or export feedback",
  description: `A page of feedback as JSON, or with \`Accept: application/x-ndjson\` the training export: one \`{ run_id, agent, input, plan, output, rating, comment, correction, created_at }\` a line (\`limit\` up to ${EXPORT_MAX}, default all).`,
  middleware: [requireTenant],
  request: {
    query: z.object({
      agent: z
        .string()
        .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, { error: "must be an agent name" })
        .optional()
        .openapi({ description: "Only feedback on this agent's runs" }),
      rating: z.enum(["up", "down"], { error: "must be up or down" }).optional(),
      after: z.coerce
        .number({ error: `must be an integer from 0 to ${Number.MAX_SAFE_INTEGER}` })
        .int({ error: `must be an integer from 0 to ${Number.MAX_SAFE_INTEGER}` })
        .min(0, { error: `must be an integer from 0 to ${Number.MAX_SAFE_INTEGER}` })
        .max(Number.MAX_SAFE_INTEGER, { error: `must be an integer from 0 to ${Number.MAX_SAFE_INTEGER}` })
        .optional()
        .default(0)
        .openapi({ type: "integer", minimum: 0, default: 0, description: "`next_after` of the previous page" }),
      limit: z.coerce
        .number({ error: limitMsg(EXPORT_MAX) })
        .int({ error: limitMsg(EXPORT_MAX) })
        .min(1, { error: limitMsg(EXPORT_MAX) })
        .max(EXPORT_MAX, { error: limitMsg(EXPORT_MAX) })
        .optional()
        .openapi({ type: "integer", minimum: 1, maximum: EXPORT_MAX, description: `Page size: 1 to ${PAGE_MAX} (default 50) as JSON` }),
    }),
  },
  responses: {
    200: {
      description: "Feedback",
      content: {
        "application/json": { schema: FeedbackPage },
        "application/x-ndjson": { schema: z.string().openapi({ description: "One training example (JSON) a line" }) },
      },
    },
    ...errors("invalid_request", ...TENANT_ERRORS),
  },
});

feedback.openapi(list, async (c) => {
  const q = c.req.valid("query");
  const tenant = tenantStub(c.env, c.get("tenant"));
  const filter: FeedbackFilter = { agent: q.agent ?? null, rating: q.rating ?? null, after: q.after, limit: 0 };
  if (!(c.req.header("accept") ?? "").includes("application/x-ndjson")) {
    const limit = q.limit ?? 50;
    if (limit > PAGE_MAX) throw new ApiError("invalid_request", `limit ${limitMsg(PAGE_MAX)}`, { field: "limit" });
    return c.json((await tenant.listFeedback({ ...filter, limit })) as z.infer<typeof FeedbackPage>, 200);
  }
  // The export: every matching example after `after` (at most `limit`), one JSON object a line.
  const encoder = new TextEncoder();
  let cursor = q.after;
  let left = q.limit ?? EXPORT_MAX;
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
  return new Response(stream, { headers: { "content-type": "application/x-ndjson" } }) as never;
});
