// One typed function per API operation the dashboard uses.
import { request } from "./http";
import type {
  Agent,
  Approval,
  Credits,
  DeadRun,
  DomainEvent,
  Feedback,
  LedgerEntry,
  LogEvent,
  Priority,
  Queues,
  Redrive,
  Run,
  RunException,
  RunStatus,
  RunSummary,
  Webhook,
  WorkerBeat,
} from "./types";

export interface Page<T> {
  items: T[];
  next: string | null;
}

export const api = {
  listRuns: (q: { status?: RunStatus | ""; agent?: string; limit?: number; cursor?: string | null }) =>
    request<{ runs: RunSummary[]; next_cursor: string | null }>("/v1/runs", { query: q }),
  createRun: (body: { agent: string; input: unknown; priority?: Priority }) =>
    request<{ id: string; status: RunStatus }>("/v1/runs", { method: "POST", body }),
  getRun: (id: string) => request<Run>(`/v1/runs/${encodeURIComponent(id)}`),
  cancelRun: (id: string) => request<Run>(`/v1/runs/${encodeURIComponent(id)}/cancel`, { method: "POST" }),
  retryRun: (id: string) => request<Run>(`/v1/runs/${encodeURIComponent(id)}/retry`, { method: "POST" }),
  runLog: (id: string, after = 0) =>
    request<{ events: LogEvent[]; next_after: number; done: boolean }>(`/v1/runs/${encodeURIComponent(id)}/logs`, {
      query: { after, limit: 1000 },
    }),
  streamTicket: (id: string) =>
    request<{ ticket: string; expires_at: string }>(`/v1/runs/${encodeURIComponent(id)}/stream-ticket`, { method: "POST" }),

  listApprovals: (status: Approval["status"] | "") => request<{ approvals: Approval[] }>("/v1/approvals", { query: { status } }),
  decideApproval: (id: string, body: { decision: "approve" | "reject"; comment?: string; input?: unknown }) =>
    request<Approval>(`/v1/approvals/${encodeURIComponent(id)}`, { method: "POST", body }),

  listDlq: (cursor?: string | null) =>
    request<{ runs: DeadRun[]; next_cursor: string | null }>("/v1/dlq", { query: { limit: 100, cursor } }),
  redrive: (body: { ids: string[] } | { all: true }) => request<Redrive>("/v1/dlq/redrive", { method: "POST", body }),

  queues: () => request<Queues>("/v1/queues"),
  workers: () => request<{ workers: WorkerBeat[] }>("/v1/workers"),
  credits: (key?: string) => request<Credits>("/v1/credits", { key }),
  ledger: (cursor?: string | null) =>
    request<{ entries: LedgerEntry[]; next_cursor: string | null }>("/v1/credits/ledger", { query: { limit: 50, cursor } }),

  listAgents: () => request<{ agents: Agent[] }>("/v1/agents"),
  getAgent: (name: string) => request<Agent>(`/v1/agents/${encodeURIComponent(name)}`),
  putAgent: (name: string, body: Record<string, unknown>) =>
    request<Agent>(`/v1/agents/${encodeURIComponent(name)}`, { method: "PUT", body }),
  deleteAgent: (name: string) => request<void>(`/v1/agents/${encodeURIComponent(name)}`, { method: "DELETE" }),

  exceptions: (status: "open" | "resolved", cursor?: string | null) =>
    request<{ exceptions: RunException[]; next_cursor: string | null }>("/v1/exceptions", { query: { status, cursor, limit: 50 } }),
  resolve: (id: string, body: { action: "resolved" | "dismissed"; output?: unknown; comment?: string }) =>
    request<Run>(`/v1/runs/${encodeURIComponent(id)}/resolve`, { method: "POST", body }),
  giveFeedback: (id: string, body: { rating: "up" | "down"; comment?: string; correction?: unknown }) =>
    request<Feedback>(`/v1/runs/${encodeURIComponent(id)}/feedback`, { method: "POST", body }),
  feedback: (q: { agent?: string; rating?: "up" | "down" | ""; after?: number }) =>
    request<{ feedback: Feedback[]; next_after: number }>("/v1/feedback", { query: { ...q, limit: 100 } }),

  events: (after = 0) => request<{ events: DomainEvent[]; next_after: number }>("/v1/events", { query: { after, limit: 100 } }),
  setWebhook: (body: { url: string; events?: string[] }) => request<Webhook>("/v1/webhooks", { method: "PUT", body }),
};
