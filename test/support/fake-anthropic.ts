// A local fake of the Anthropic Messages API (node:http) with per-test scripted answers, for the
// real SDK to talk to. Protocol details (validation, bodies, defaults) live in fake-anthropic-protocol.ts.
//
// Control API (for tests that cannot call into this process, e.g. inside workerd), same origin:
//   POST /_control/script    {"scope"?: string, "replies": FakeReply[]}  (or "reply": FakeReply)
//        → 200 {"queued": n}. A FakeReply is {"content": [...], "stop_reason"?, "usage"?, "delayMs"?},
//        {"status": 529, "type"?, "message"?, "headers"?: {"retry-after": "2"}} or {"disconnect": true}.
//        Replies queue FIFO per scope. A scope matches a request whose system prompt or first user
//        message contains it, or whose metadata.user_id equals it. A request takes the next reply of
//        the first matching scope that has one; a request no scope matches takes the next unscoped
//        reply; otherwise it gets the default answer (the forced tool with a minimal input, or text).
//   GET  /_control/requests?scope=S  → 200 {"requests": RecordedRequest[]}  (all when scope is absent)
//   POST /_control/reset     {"scope"?: string}  → 200 {"ok": true}; forgets that scope's replies and
//        requests, or everything when no scope is given.
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { FAKE_ANTHROPIC_API_KEY } from "./anthropic-constants";
import {
  checkBody,
  checkHeaders,
  defaultErrorType,
  defaultReply,
  errorBody,
  type FakeReply,
  messageBody,
  type RecordedRequest,
  scopeMatches,
} from "./fake-anthropic-protocol";
import { listenOnLoopback } from "./listen";

export type {
  FakeBlock,
  FakeDisconnectReply,
  FakeErrorReply,
  FakeMessageReply,
  FakeReply,
  FakeUsage,
  RecordedRequest,
} from "./fake-anthropic-protocol";

/** Chooses which requests a scripted reply is for: a scope string, or a predicate on the JSON body. */
export type RequestMatcher = string | ((body: unknown) => boolean);

export interface FakeAnthropicOptions {
  /** The key the fake accepts; default `FAKE_ANTHROPIC_API_KEY`. */
  apiKey?: string;
  /** Port on 127.0.0.1; default 0 (any free port). */
  port?: number;
  /** Bodies above this size get the real 413 `request_too_large`; default 32 MiB. */
  maxBodyBytes?: number;
}

/** A running fake. `url` is the base URL to give the SDK (`baseURL`). */
export interface FakeAnthropic {
  url: string;
  close(): Promise<void>;
  /** Queues replies for any request not claimed by a scoped script. */
  script(reply: FakeReply | FakeReply[]): void;
  /** Queues replies for the requests `matcher` selects; these win over unscoped replies. */
  scriptFor(matcher: RequestMatcher, reply: FakeReply | FakeReply[]): void;
  /** Every `/v1/...` request received so far, oldest first. */
  requests(): RecordedRequest[];
  /** Forgets all scripts and recorded requests. */
  reset(): void;
}

interface ScopedQueue {
  scope: string | null;
  matches: (body: unknown) => boolean;
  replies: FakeReply[];
}

const newId = (prefix: string): string => prefix + randomBytes(12).toString("hex");
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.destroyed || res.writableEnded) return; // the client gave up (e.g. its timeout fired)
  res.writeHead(status, { ...headers, "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage, limit: number): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  // Drain the whole body even past the limit: leaving the loop early would destroy the socket
  // before the 413 can be sent.
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size <= limit) chunks.push(chunk as Buffer);
  }
  return size > limit ? null : Buffer.concat(chunks).toString("utf8");
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (err) {
    if (err instanceof SyntaxError) return { ok: false };
    throw err;
  }
}

const asList = (reply: FakeReply | FakeReply[]): FakeReply[] => (Array.isArray(reply) ? reply : [reply]);

/** Starts the fake on 127.0.0.1 and resolves once it listens. */
export async function startFakeAnthropic(opts: FakeAnthropicOptions = {}): Promise<FakeAnthropic> {
  const apiKey = opts.apiKey ?? FAKE_ANTHROPIC_API_KEY;
  const maxBodyBytes = opts.maxBodyBytes ?? 32 * 1024 * 1024;
  let queues: ScopedQueue[] = [];
  const unscoped: FakeReply[] = [];
  let recorded: RecordedRequest[] = [];

  function enqueue(matcher: RequestMatcher | null, replies: FakeReply[]): void {
    if (matcher === null) {
      unscoped.push(...replies);
      return;
    }
    const scope = typeof matcher === "string" ? matcher : null;
    const existing = scope === null ? undefined : queues.find((q) => q.scope === scope);
    if (existing) existing.replies.push(...replies);
    else {
      const matches = typeof matcher === "string" ? (body: unknown) => scopeMatches(matcher, body) : matcher;
      queues.push({ scope, matches, replies: [...replies] });
    }
  }

  // A request that belongs to a scope never takes unscoped replies, even once its scope ran dry, so
  // tests sharing one fake cannot consume each other's answers.
  function nextReply(body: unknown): FakeReply | undefined {
    const matching = queues.filter((q) => q.matches(body));
    if (matching.length === 0) return unscoped.shift();
    return matching.find((q) => q.replies.length > 0)?.replies.shift();
  }

  // A reset scope keeps its matcher with no replies: a request of it that arrives late (its client
  // gave up long ago) gets the default answer instead of a reply scripted for a later test.
  function reset(scope?: string): void {
    if (scope === undefined) {
      queues = queues.filter((q) => q.scope !== null).map((q) => ({ ...q, replies: [] }));
      unscoped.length = 0;
      recorded = [];
      return;
    }
    queues = queues.map((q) => (q.scope === scope ? { ...q, replies: [] } : q));
    recorded = recorded.filter((r) => !scopeMatches(scope, r.body));
  }

  async function handleMessages(req: IncomingMessage, res: ServerResponse, record: RecordedRequest): Promise<void> {
    const fail = (status: number, type: string, message: string, headers: Record<string, string> = {}) => {
      record.status = status;
      sendJson(res, status, errorBody(type, message, record.requestId), {
        ...headers,
        "request-id": record.requestId,
      });
    };
    const text = await readBody(req, maxBodyBytes);
    if (text === null) return fail(413, "request_too_large", `request exceeds the maximum size of ${maxBodyBytes} bytes`);
    const parsed = parseJson(text);
    record.body = parsed.ok ? parsed.value : text;
    const rejected = checkHeaders(req.headers, apiKey);
    if (rejected) return fail(rejected.status, rejected.type, rejected.message);
    if (!parsed.ok) return fail(400, "invalid_request_error", "request body is not valid JSON");
    const invalid = checkBody(parsed.value);
    if (invalid) return fail(invalid.status, invalid.type, invalid.message);
    const body = parsed.value as Record<string, unknown>;

    const reply = nextReply(body) ?? defaultReply(body);
    if (reply.delayMs) await sleep(reply.delayMs);
    if ("disconnect" in reply) {
      record.status = 0;
      req.socket.destroy();
      return;
    }
    if ("status" in reply) {
      const type = reply.type ?? defaultErrorType(reply.status);
      return fail(reply.status, type, reply.message ?? `scripted ${type}`, reply.headers);
    }
    record.status = 200;
    sendJson(res, 200, messageBody(reply, body, newId), { ...reply.headers, "request-id": record.requestId });
  }

  async function handleControl(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    if (req.method === "GET" && url.pathname === "/_control/requests") {
      const scope = url.searchParams.get("scope");
      const list = scope === null ? recorded : recorded.filter((r) => scopeMatches(scope, r.body));
      return sendJson(res, 200, { requests: list });
    }
    if (req.method !== "POST") return sendJson(res, 405, { error: "method not allowed" });
    const text = (await readBody(req, maxBodyBytes)) ?? "";
    const parsed = parseJson(text === "" ? "{}" : text);
    const input = parsed.ok ? (parsed.value as { scope?: unknown; replies?: unknown; reply?: unknown }) : null;
    if (input === null || typeof input !== "object") return sendJson(res, 400, { error: "body must be a JSON object" });
    if (input.scope !== undefined && typeof input.scope !== "string") {
      return sendJson(res, 400, { error: "scope must be a string" });
    }
    if (url.pathname === "/_control/reset") {
      reset(input.scope);
      return sendJson(res, 200, { ok: true });
    }
    if (url.pathname === "/_control/script") {
      const replies = input.replies ?? (input.reply === undefined ? undefined : [input.reply]);
      if (!Array.isArray(replies) || !replies.every((r) => typeof r === "object" && r !== null)) {
        return sendJson(res, 400, { error: "replies must be a list of reply objects" });
      }
      enqueue(input.scope ?? null, replies as FakeReply[]);
      return sendJson(res, 200, { queued: replies.length });
    }
    sendJson(res, 404, { error: `no control endpoint ${url.pathname}` });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://fake");
    if (url.pathname.startsWith("/_control/")) return handleControl(req, res, url);
    const record: RecordedRequest = {
      at: new Date().toISOString(),
      method: req.method ?? "",
      path: url.pathname + url.search,
      headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)])),
      body: null,
      requestId: newId("req_"),
      status: 404,
    };
    recorded.push(record);
    if (req.method === "POST" && url.pathname === "/v1/messages") return handleMessages(req, res, record);
    req.resume();
    sendJson(res, 404, errorBody("not_found_error", "Not Found", record.requestId), {
      "request-id": record.requestId,
    });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      console.error("fake-anthropic: handler failed", err);
      sendJson(res, 500, errorBody("api_error", "fake server error", newId("req_")));
    });
  });
  const listening = await listenOnLoopback(server, opts.port);

  return {
    url: listening.url,
    close: listening.close,
    script: (reply) => enqueue(null, asList(reply)),
    scriptFor: (matcher, reply) => enqueue(matcher, asList(reply)),
    requests: () => [...recorded],
    reset: () => reset(),
  };
}
