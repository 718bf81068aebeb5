// The API's answers as the dashboard reads them (see docs/api.md).

export type RunStatus = "scheduled" | "queued" | "running" | "awaiting_approval" | "succeeded" | "failed" | "canceled" | "expired" | "dead";

export const RUN_STATUSES: RunStatus[] = [
  "scheduled",
  "queued",
  "running",
  "awaiting_approval",
  "succeeded",
  "failed",
  "canceled",
  "expired",
  "dead",
];
export const FINAL_STATUSES: RunStatus[] = ["succeeded", "failed", "canceled", "expired", "dead"];
export type Priority = "high" | "normal" | "low";

export interface Usage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
}

export interface RunSummary {
  id: string;
  agent: string;
  status: RunStatus;
  priority: Priority;
  created_at: string;
  updated_at: string;
  finished_at: string | null;
  credits: { reserved: number; spent: number };
  metadata: Record<string, unknown>;
}

export interface Step {
  index: number;
  title: string;
  status: "pending" | "running" | "completed" | "failed";
  attempts: number;
  run_attempt: number;
  summary: string | null;
  usage: Usage;
  started_at: string | null;
  finished_at: string | null;
}

export interface Approval {
  id: string;
  run_id: string;
  step: number;
  tool: string;
  input: unknown;
  reason: string | null;
  status: "pending" | "approved" | "rejected" | "expired";
  expires_at: string;
  decided_at: string | null;
  decision: "approve" | "reject" | null;
  comment: string | null;
}

export interface Run extends Omit<RunSummary, "updated_at"> {
  input: unknown;
  output: { summary: string; output: unknown } | null;
  error: { code: string; message: string; retryable: boolean } | null;
  plan: { title: string; instructions: string }[] | null;
  steps: Step[];
  usage: Usage;
  attempts: number;
  approvals: Approval[];
  run_at: string | null;
  started_at: string | null;
  /** The run's workspace: how many files and bytes it holds. */
  workspace?: { files: number; bytes: number };
}

export interface LogEvent {
  seq: number;
  ts: string;
  type: string;
  level: "debug" | "info" | "warn" | "error";
  message: string;
  data?: Record<string, unknown>;
}

/** A live progress note of a model or tool call (`?progress=true`): no seq, never stored. */
export interface ProgressNote {
  type: "progress";
  kind: "model.started" | "model.finished" | "tool.started" | "tool.finished";
  step: number;
  attempt: number;
  call?: number;
  tool?: string;
  ok?: boolean;
  ms?: number;
  at: number;
}

export interface DeadRun {
  id: string;
  agent: string;
  priority: Priority;
  error: { code: string; message: string } | null;
  finished_at: string | null;
  attempts: number;
}

export interface Redrive {
  redriven: number;
  results: { id: string; redriven: boolean; error?: string }[];
}

export interface Credits {
  available: number;
  reserved: number;
  spent_total: number;
}

export interface LedgerEntry {
  id: string;
  run_id: string | null;
  kind: "reserve" | "charge" | "release" | "topup";
  amount: number;
  balance_after: number;
  created_at: string;
}

export interface Queues {
  lanes: Record<Priority, { queued: number; running: number }>;
  awaiting_approval: number;
  scheduled: number;
  retrying: number;
  dead: number;
}

export interface WorkerBeat {
  id: string;
  lane: string;
  last_beat_at: string;
  runs_in_flight: number;
}

export interface Agent {
  name: string;
  builtin?: boolean;
  description?: string;
  system_prompt: string;
  model?: string;
  tools?: string[];
  max_steps?: number;
  max_credits?: number;
  default_priority?: Priority;
  ttl_seconds?: number;
  approval?: { tools?: string[] };
  approval_ttl_seconds?: number;
  allowed_hosts?: string[];
  http_tools?: unknown[];
  [field: string]: unknown;
}

export interface Delivery {
  target: "tenant" | "run";
  url: string;
  status: "pending" | "delivered" | "failed";
  attempts: number;
  last_status: number | null;
  last_error: string | null;
  delivered_at: string | null;
}

export interface DomainEvent {
  seq: number;
  id: string;
  type: string;
  run_id: string | null;
  agent: string | null;
  data: unknown;
  created_at: string;
  deliveries?: Delivery[];
}

export interface Webhook {
  url: string;
  events: string[];
  secret: string;
}

export interface Resolution {
  action: "resolved" | "dismissed";
  output: unknown;
  comment: string | null;
  actor: { type: string; id: string };
  at: string;
}

export interface RunException {
  run_id: string;
  agent: string;
  status: RunStatus;
  priority: Priority;
  error: { code: string; message: string; retryable: boolean } | null;
  attempts: number;
  finished_at: string | null;
  resolution: Resolution | null;
}

export interface Feedback {
  id: string;
  run_id: string;
  agent: string;
  rating: "up" | "down";
  comment: string | null;
  correction: unknown;
  step: number | null;
  created_at: string;
}
