// Renders the run as the API shows it (docs/api.md, GET /v1/runs/:id).

import type { costView } from "../domain/costs";
import type { RunRow, StepRow } from "./journal";
import { isFinal } from "./state";

const iso = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : new Date(ms).toISOString());

export interface ApprovalView {
  id: string;
  run_id: string;
  step: number;
  tool: string;
  input: unknown;
  reason: string;
  status: "pending" | "approved" | "rejected" | "expired";
  expires_at: string;
  decided_at: string | null;
  decision: "approve" | "reject" | null;
  comment: string | null;
}

export function stepView(s: StepRow) {
  return {
    index: s.idx,
    title: s.title,
    status: s.status,
    attempts: s.attempts,
    run_attempt: s.run_attempt,
    summary: s.summary,
    usage: s.usage,
    started_at: iso(s.started_at),
    finished_at: iso(s.finished_at),
  };
}

export function runView(run: RunRow, steps: StepRow[], approvals: ApprovalView[], cost: ReturnType<typeof costView>) {
  return {
    id: run.id,
    agent: run.agent.name,
    status: run.status,
    priority: run.priority,
    input: run.input,
    output: run.output ?? null,
    error: run.error ?? null,
    plan: run.plan,
    steps: steps.map(stepView),
    usage: run.usage,
    cost,
    // What the run still holds of its reservation: nothing once it is final (released).
    credits: { reserved: isFinal(run.status) ? 0 : Math.max(0, run.max_credits - run.spent), spent: run.spent },
    attempts: run.attempts,
    approvals,
    resolution: run.resolution ?? null,
    metadata: run.metadata ?? {},
    run_at: iso(run.run_at),
    created_at: iso(run.created_at),
    started_at: iso(run.started_at),
    finished_at: iso(run.finished_at),
  };
}

export type RunView = ReturnType<typeof runView>;
