// Provisional: replaced by `npm run client:types` from openapi.json.
// biome-ignore-all lint: generated
type Json = any;
interface Op<P> {
  parameters: { query?: Record<string, unknown>; header?: Record<string, unknown>; path: P; cookie?: never };
  requestBody?: { content: { "application/json": Json } };
  responses: { 200: { headers: Record<string, unknown>; content: { "application/json": Json } } };
}
interface OpNoPath {
  parameters: { query?: Record<string, unknown>; header?: Record<string, unknown>; path?: never; cookie?: never };
  requestBody?: { content: { "application/json": Json } };
  responses: { 200: { headers: Record<string, unknown>; content: { "application/json": Json } } };
}
export interface paths {
  "/v1/runs": {
    parameters: { query?: never; header?: never; path?: never; cookie?: never };
    get: OpNoPath;
    put: never;
    post: OpNoPath;
    delete: never;
  };
  "/v1/runs/{id}": {
    parameters: { query?: never; header?: never; path?: never; cookie?: never };
    get: Op<{ id: string }>;
    put: never;
    post: never;
    delete: never;
  };
  "/v1/runs/{id}/cancel": {
    parameters: { query?: never; header?: never; path?: never; cookie?: never };
    get: never;
    put: never;
    post: Op<{ id: string }>;
    delete: never;
  };
  "/v1/runs/{id}/retry": {
    parameters: { query?: never; header?: never; path?: never; cookie?: never };
    get: never;
    put: never;
    post: Op<{ id: string }>;
    delete: never;
  };
  "/v1/runs/{id}/logs": {
    parameters: { query?: never; header?: never; path?: never; cookie?: never };
    get: Op<{ id: string }>;
    put: never;
    post: never;
    delete: never;
  };
  "/v1/runs/{id}/stream-ticket": {
    parameters: { query?: never; header?: never; path?: never; cookie?: never };
    get: never;
    put: never;
    post: Op<{ id: string }>;
    delete: never;
  };
  "/v1/approvals": {
    parameters: { query?: never; header?: never; path?: never; cookie?: never };
    get: OpNoPath;
    put: never;
    post: never;
    delete: never;
  };
  "/v1/approvals/{id}": {
    parameters: { query?: never; header?: never; path?: never; cookie?: never };
    get: never;
    put: never;
    post: Op<{ id: string }>;
    delete: never;
  };
  "/v1/dlq": {
    parameters: { query?: never; header?: never; path?: never; cookie?: never };
    get: OpNoPath;
    put: never;
    post: never;
    delete: never;
  };
  "/v1/dlq/redrive": {
    parameters: { query?: never; header?: never; path?: never; cookie?: never };
    get: never;
    put: never;
    post: OpNoPath;
    delete: never;
  };
  "/v1/agents": {
    parameters: { query?: never; header?: never; path?: never; cookie?: never };
    get: OpNoPath;
    put: never;
    post: never;
    delete: never;
  };
  "/v1/agents/{name}": {
    parameters: { query?: never; header?: never; path?: never; cookie?: never };
    get: Op<{ name: string }>;
    put: Op<{ name: string }>;
    post: never;
    delete: Op<{ name: string }>;
  };
  "/v1/credits": {
    parameters: { query?: never; header?: never; path?: never; cookie?: never };
    get: OpNoPath;
    put: never;
    post: never;
    delete: never;
  };
  "/v1/credits/ledger": {
    parameters: { query?: never; header?: never; path?: never; cookie?: never };
    get: OpNoPath;
    put: never;
    post: never;
    delete: never;
  };
  "/v1/queues": {
    parameters: { query?: never; header?: never; path?: never; cookie?: never };
    get: OpNoPath;
    put: never;
    post: never;
    delete: never;
  };
  "/v1/workers": {
    parameters: { query?: never; header?: never; path?: never; cookie?: never };
    get: OpNoPath;
    put: never;
    post: never;
    delete: never;
  };
  "/v1/events": {
    parameters: { query?: never; header?: never; path?: never; cookie?: never };
    get: OpNoPath;
    put: never;
    post: never;
    delete: never;
  };
  "/v1/webhooks": {
    parameters: { query?: never; header?: never; path?: never; cookie?: never };
    get: never;
    put: OpNoPath;
    post: never;
    delete: never;
  };
  "/healthz": {
    parameters: { query?: never; header?: never; path?: never; cookie?: never };
    get: OpNoPath;
    put: never;
    post: never;
    delete: never;
  };
  "/metrics": {
    parameters: { query?: never; header?: never; path?: never; cookie?: never };
    get: OpNoPath;
    put: never;
    post: never;
    delete: never;
  };
  "/v1/admin/tenants": {
    parameters: { query?: never; header?: never; path?: never; cookie?: never };
    get: never;
    put: never;
    post: OpNoPath;
    delete: never;
  };
  "/v1/admin/tenants/{id}/keys": {
    parameters: { query?: never; header?: never; path?: never; cookie?: never };
    get: never;
    put: never;
    post: Op<{ id: string }>;
    delete: never;
  };
  "/v1/admin/tenants/{id}/keys/{key_id}": {
    parameters: { query?: never; header?: never; path?: never; cookie?: never };
    get: never;
    put: never;
    post: never;
    delete: Op<{ id: string; key_id: string }>;
  };
  "/v1/admin/tenants/{id}/credits": {
    parameters: { query?: never; header?: never; path?: never; cookie?: never };
    get: never;
    put: never;
    post: Op<{ id: string }>;
    delete: never;
  };
}
