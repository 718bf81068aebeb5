// edgecrew/client: a typed client of the edgecrew API (types generated from openapi.json), errors
// as one EdgecrewError, and follow() for a run's live log. Web-standard APIs only, so it runs
// unchanged in Node 20+, Deno, browsers and Workers.

import { EdgecrewError } from "./errors";
import { readSse } from "./events";
import { type FollowOptions, follow } from "./follow";
import type { paths } from "./schema";
import { type BodyOf, createTransport, type EdgecrewOptions, type QueryOf, unwrap } from "./transport";

export type { EdgecrewErrorCode } from "./errors";
export { EdgecrewError } from "./errors";
export type { ProgressNote, RunEvent, WebSocketConstructor, WebSocketLike } from "./events";
export { FINAL_EVENT_TYPES } from "./events";
export type { FollowOptions } from "./follow";
export type { paths } from "./schema";
export { DEFAULT_URL, type EdgecrewOptions } from "./transport";

type Op<P extends keyof paths, M extends keyof paths[P]> = paths[P][M];

/** Options of runs.create besides the body. */
export interface CreateRunOptions {
  /** Sent as `Idempotency-Key`: the same key and body give the same run. */
  idempotencyKey?: string;
}

/** Creates a client. Every method resolves to the API's JSON or throws EdgecrewError. */
export function createEdgecrew(options: EdgecrewOptions = {}) {
  const t = createTransport(options);
  const { api, admin } = t;
  const id = (value: string) => ({ params: { path: { id: value } } });

  return {
    /** The origin this client talks to. */
    url: t.base,
    /** The underlying typed openapi-fetch client, for any operation of the document. */
    api,
    runs: {
      create: (body: BodyOf<Op<"/v1/runs", "post">>, opts: CreateRunOptions = {}) =>
        unwrap(api.POST("/v1/runs", { body, headers: opts.idempotencyKey ? { "idempotency-key": opts.idempotencyKey } : {} })),
      get: (runId: string) => unwrap(api.GET("/v1/runs/{id}", id(runId))),
      list: (query: QueryOf<Op<"/v1/runs", "get">> = {}) => unwrap(api.GET("/v1/runs", { params: { query } })),
      cancel: (runId: string) => unwrap(api.POST("/v1/runs/{id}/cancel", id(runId))),
      /** Retries a failed or dead run; `body` (a new input, the step to start from) is sent when given. */
      retry: (runId: string, body?: BodyOf<Op<"/v1/runs/{id}/retry", "post">>) =>
        unwrap(api.POST("/v1/runs/{id}/retry", { ...id(runId), ...(body ? { body } : {}) })),
      logs: (runId: string, query: QueryOf<Op<"/v1/runs/{id}/logs", "get">> = {}) =>
        unwrap(api.GET("/v1/runs/{id}/logs", { params: { path: { id: runId }, query } })),
      streamTicket: (runId: string) => unwrap(api.POST("/v1/runs/{id}/stream-ticket", id(runId))),
      /** Records how a failed or dead run was handled (`resolved` with an output, or `dismissed`). */
      resolve: (runId: string, body: BodyOf<Op<"/v1/runs/{id}/resolve", "post">>) =>
        unwrap(api.POST("/v1/runs/{id}/resolve", { ...id(runId), body })),
      /** Feedback on a final run: a rating, and optionally a comment, a correction and the step. */
      feedback: (runId: string, body: BodyOf<Op<"/v1/runs/{id}/feedback", "post">>) =>
        unwrap(api.POST("/v1/runs/{id}/feedback", { ...id(runId), body })),
    },
    files: {
      list: (runId: string) => unwrap(api.GET("/v1/runs/{id}/files", id(runId))),
      /** One workspace file's bytes as the answer (its content type in the headers). */
      download: (runId: string, path: string) =>
        t.download(`/v1/runs/${encodeURIComponent(runId)}/files/${path.split("/").map(encodeURIComponent).join("/")}`),
    },
    exceptions: {
      list: (query: QueryOf<Op<"/v1/exceptions", "get">> = {}) => unwrap(api.GET("/v1/exceptions", { params: { query } })),
    },
    feedback: {
      list: (query: QueryOf<Op<"/v1/feedback", "get">> = {}) => unwrap(api.GET("/v1/feedback", { params: { query } })),
      /** The training export: one JSON example a line (NDJSON), as text. */
      export: async (query: Record<string, string> = {}) => {
        const qs = new URLSearchParams(query).toString();
        return (await t.download(`/v1/feedback${qs ? `?${qs}` : ""}`, "application/x-ndjson")).text();
      },
    },
    audit: {
      list: (query: QueryOf<Op<"/v1/audit", "get">> = {}) => unwrap(api.GET("/v1/audit", { params: { query } })),
    },
    approvals: {
      list: (query: QueryOf<Op<"/v1/approvals", "get">> = {}) => unwrap(api.GET("/v1/approvals", { params: { query } })),
      decide: (approvalId: string, body: BodyOf<Op<"/v1/approvals/{id}", "post">>) =>
        unwrap(api.POST("/v1/approvals/{id}", { ...id(approvalId), body })),
    },
    dlq: {
      list: (query: QueryOf<Op<"/v1/dlq", "get">> = {}) => unwrap(api.GET("/v1/dlq", { params: { query } })),
      redrive: (body: BodyOf<Op<"/v1/dlq/redrive", "post">>) => unwrap(api.POST("/v1/dlq/redrive", { body })),
    },
    agents: {
      list: () => unwrap(api.GET("/v1/agents")),
      get: (name: string) => unwrap(api.GET("/v1/agents/{name}", { params: { path: { name } } })),
      put: (name: string, body: BodyOf<Op<"/v1/agents/{name}", "put">>) =>
        unwrap(api.PUT("/v1/agents/{name}", { params: { path: { name } }, body })),
      delete: (name: string) => unwrap(api.DELETE("/v1/agents/{name}", { params: { path: { name } } })),
    },
    credits: {
      get: () => unwrap(api.GET("/v1/credits")),
      ledger: (query: QueryOf<Op<"/v1/credits/ledger", "get">> = {}) => unwrap(api.GET("/v1/credits/ledger", { params: { query } })),
    },
    queues: () => unwrap(api.GET("/v1/queues")),
    workers: () => unwrap(api.GET("/v1/workers")),
    events: {
      list: (query: QueryOf<Op<"/v1/events", "get">> = {}) => unwrap(api.GET("/v1/events", { params: { query } })),
      /**
       * The tenant's live domain events (`/v1/events/stream`, SSE), replaying after `after`; on a
       * dropped connection it resumes after the last event seen. It ends only when `signal` aborts.
       */
      async *stream(query: { after?: number; topic?: string } = {}, signal?: AbortSignal): AsyncGenerator<unknown> {
        let after = query.after ?? 0;
        for (;;) {
          const qs = new URLSearchParams({ after: String(after), ...(query.topic ? { topic: query.topic } : {}) });
          try {
            const res = await t.openStream(`/v1/events/stream?${qs}`, signal);
            if (!res.body) return;
            for await (const m of readSse(res.body)) {
              const seq = Number(m.id ?? (m.data as { seq?: unknown } | null)?.seq);
              if (Number.isFinite(seq) && seq <= after) continue;
              if (Number.isFinite(seq)) after = seq;
              yield m.data;
            }
          } catch (e) {
            if (signal?.aborted || (e instanceof EdgecrewError && e.status >= 400 && e.status < 500)) throw e;
            console.warn(`edgecrew: event stream dropped, resuming after ${after}: ${e instanceof Error ? e.message : String(e)}`);
          }
          if (signal?.aborted) return;
          await new Promise((r) => setTimeout(r, 500));
        }
      },
    },
    webhooks: {
      set: (body: BodyOf<Op<"/v1/webhooks", "put">>) => unwrap(api.PUT("/v1/webhooks", { body })),
    },
    health: () => unwrap(api.GET("/healthz")),
    /**
     * Yields run `runId`'s events after `options.after`, live, and ends after the final event. Over
     * a WebSocket (with a single-use stream ticket) when one is available, else SSE over fetch; a
     * dropped connection resumes after the last seq, without duplicates or gaps.
     */
    follow: (runId: string, opts: FollowOptions = {}) => follow(t.connector, runId, opts),
    admin: {
      createTenant: (body: BodyOf<Op<"/v1/admin/tenants", "post">>) => unwrap(admin.POST("/v1/admin/tenants", { body })),
      createKey: (tenant: string) => unwrap(admin.POST("/v1/admin/tenants/{id}/keys", id(tenant))),
      revokeKey: (tenant: string, keyId: string) =>
        unwrap(admin.DELETE("/v1/admin/tenants/{id}/keys/{keyId}", { params: { path: { id: tenant, keyId } } })),
      addCredits: (tenant: string, body: BodyOf<Op<"/v1/admin/tenants/{id}/credits", "post">>) =>
        unwrap(admin.POST("/v1/admin/tenants/{id}/credits", { ...id(tenant), body })),
      metrics: () => unwrap(admin.GET("/metrics", { parseAs: "text" })),
    },
  };
}

/** A client made by createEdgecrew. */
export type Edgecrew = ReturnType<typeof createEdgecrew>;
