// The client's HTTP core: one fetch that turns "no answer" into EdgecrewError(unreachable), the
// typed openapi-fetch clients (tenant credential, admin token), unwrapping answers into data or a
// thrown EdgecrewError, and the connector follow() uses to open streams.

import createClient from "openapi-fetch";
import { errorFromResponse, unreachableError } from "./errors";
import type { RunEvent, WebSocketConstructor } from "./events";
import type { FollowConnector } from "./follow";
import type { paths } from "./schema";

/** Where edgecrew answers when no URL is given. */
export const DEFAULT_URL = "http://localhost:8787";

export interface EdgecrewOptions {
  /** The API origin (default `http://localhost:8787`). */
  url?: string;
  /** An API key or a Supabase JWT, sent as `Authorization: Bearer`. */
  key?: string;
  /** The admin token, for `admin` operations only. */
  adminToken?: string;
  /** A fetch to use instead of the global one. */
  fetch?: typeof fetch;
  /** A WebSocket constructor for follow(); default the global one; null to always follow over SSE. */
  WebSocket?: WebSocketConstructor | null;
}

/** The query parameters of an operation, as the document describes them. */
export type QueryOf<Op> = Op extends { parameters: { query?: infer Q } } ? NonNullable<Q> : Record<string, never>;
/** The JSON request body of an operation. */
export type BodyOf<Op> = Op extends { requestBody?: { content: { "application/json": infer B } } } ? B : never;

/** openapi-fetch's answer: data on 2xx, error otherwise, and the Response. */
interface Answer<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** The data of a 2xx answer; any other answer throws EdgecrewError with the envelope's fields. */
export async function unwrap<T>(pending: Promise<Answer<T>>): Promise<T> {
  const { data, error, response } = await pending;
  if (!response.ok) throw errorFromResponse(response, error);
  return data as T;
}

export function createTransport(options: EdgecrewOptions) {
  const base = (options.url ?? DEFAULT_URL).replace(/\/+$/, "");
  const rawFetch = options.fetch ?? ((input: Request) => globalThis.fetch(input));
  const send = async (request: Request): Promise<Response> => {
    try {
      return await rawFetch(request);
    } catch (e) {
      if (request.signal?.aborted) throw e;
      throw unreachableError(base, e);
    }
  };
  const bearer = (token: string | undefined): Record<string, string> => (token ? { authorization: `Bearer ${token}` } : {});
  const api = createClient<paths>({ baseUrl: base, fetch: send, headers: bearer(options.key) });
  const admin = createClient<paths>({ baseUrl: base, fetch: send, headers: bearer(options.adminToken) });
  const WebSocketCtor =
    options.WebSocket === null
      ? undefined
      : (options.WebSocket ?? (globalThis as unknown as { WebSocket?: WebSocketConstructor }).WebSocket);

  const connector: FollowConnector = {
    WebSocket: WebSocketCtor,
    async openSse(runId, after, signal, progress = false) {
      const url = `${base}/v1/runs/${encodeURIComponent(runId)}/logs?after=${after}${progress ? "&progress=true" : ""}`;
      const res = await send(new Request(url, { headers: { ...bearer(options.key), accept: "text/event-stream" }, signal }));
      if (!res.ok) throw errorFromResponse(res, await readBody(res));
      return res;
    },
    async webSocketUrl(runId, after, progress = false) {
      const path = { params: { path: { id: runId } } };
      const { ticket } = (await unwrap(api.POST("/v1/runs/{id}/stream-ticket", path))) as { ticket: string };
      const ws = base.replace(/^http/, "ws");
      const notes = progress ? "&progress=true" : "";
      return `${ws}/v1/runs/${encodeURIComponent(runId)}/stream?after=${after}${notes}&ticket=${encodeURIComponent(ticket)}`;
    },
    async logs(runId, after, limit) {
      const page = await unwrap(api.GET("/v1/runs/{id}/logs", { params: { path: { id: runId }, query: { after, limit } } }));
      return page as { events: RunEvent[] };
    },
  };

  /** Opens an SSE stream at `path` (a path with its query) with the tenant credential. */
  async function openStream(path: string, signal?: AbortSignal): Promise<Response> {
    const res = await send(new Request(`${base}${path}`, { headers: { ...bearer(options.key), accept: "text/event-stream" }, signal }));
    if (!res.ok) throw errorFromResponse(res, await readBody(res));
    return res;
  }

  /** GETs `path` (a path with its query) with the tenant credential and `accept`; the raw answer. */
  async function download(path: string, accept = "*/*"): Promise<Response> {
    const res = await send(new Request(`${base}${path}`, { headers: { ...bearer(options.key), accept } }));
    if (!res.ok) throw errorFromResponse(res, await readBody(res));
    return res;
  }

  return { base, api, admin, connector, openStream, download };
}

/** A failed answer's body: its JSON when it is JSON, else its text. */
async function readBody(res: Response): Promise<unknown> {
  const text = await res.text();
  if (!(res.headers.get("content-type") ?? "").includes("json")) return text;
  try {
    return JSON.parse(text);
  } catch (e) {
    return `${text} (${e instanceof Error ? e.message : String(e)})`;
  }
}
