// A local QStash v2: `POST /v2/publish/<url>` with delay, not-before, retries, deduplication,
// forwarded headers and method; signed deliveries with retries and backoff; an in-memory DLQ
// (`GET /v2/dlq`). `timeScale` shrinks every relative delay (not `Upstash-Not-Before`).
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { listenOnLoopback } from "./listen";
import { bodyHash, parseDuration, retryBackoffMs, signDelivery } from "./qstash-signing";

/** Options of startQStashEmulator. */
export interface QStashEmulatorOptions {
  /** Bearer token publishers must send. */
  token: string;
  /** Key deliveries are signed with. */
  currentSigningKey: string;
  /** The next key (kept for parity with QStash; deliveries use the current one). */
  nextSigningKey: string;
  /** Factor applied to `Upstash-Delay` and retry backoff, e.g. 0.01. Default 1. */
  timeScale?: number;
  /** Port to listen on (127.0.0.1). Default: any free port. */
  port?: number;
}

/** One delivery attempt as the destination saw it. */
export interface QStashDelivery {
  messageId: string;
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string;
  /** HTTP status of the destination, or null when it could not be reached. */
  status: number | null;
  /** Epoch ms of the attempt. */
  at: number;
}

/** A message that exhausted its retries, shaped like QStash's DLQ listing. */
export interface QStashDlqMessage {
  dlqId: string;
  messageId: string;
  url: string;
  method: string;
  header: Record<string, string[]>;
  body: string;
  maxRetries: number;
  retried: number;
  notBefore: number;
  createdAt: number;
  responseStatus: number | null;
  responseBody: string;
}

/** A running emulator with what it delivered, for assertions. */
export interface QStashEmulator {
  /** Base URL (QSTASH_URL). */
  url: string;
  close(): Promise<void>;
  /** Every delivery attempt so far, oldest first. */
  deliveries(): QStashDelivery[];
  /** Messages in the dead-letter queue. */
  dlq(): QStashDlqMessage[];
}

interface Message {
  messageId: string;
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string;
  maxRetries: number;
  retried: number;
  notBefore: number;
  createdAt: number;
}

const DEFAULT_RETRIES = 3;

function newId(prefix: string): string {
  return `${prefix}_${randomBytes(12).toString("base64url")}`;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "Content-Type": "application/json" });
  res.end(JSON.stringify(body));
}

class BadRequest extends Error {}

/** Starts the emulator on 127.0.0.1. Deliveries go to the real destination over HTTP. */
export async function startQStashEmulator(opts: QStashEmulatorOptions): Promise<QStashEmulator> {
  const scale = opts.timeScale ?? 1;
  const attempts: QStashDelivery[] = [];
  const dead: QStashDlqMessage[] = [];
  const messages = new Map<string, Message>();
  const dedup = new Map<string, string>();
  const timers = new Set<NodeJS.Timeout>();
  const inflight = new AbortController();
  let closed = false;

  function later(ms: number, fn: () => Promise<void>): void {
    if (closed) return;
    const timer = setTimeout(
      () => {
        timers.delete(timer);
        fn().catch((err: unknown) => console.error(`[qstash-emulator] delivery crashed: ${String(err)}`));
      },
      Math.max(0, ms),
    );
    timers.add(timer);
  }

  async function deliver(msg: Message): Promise<void> {
    if (closed) return;
    // Timers run on a monotonic clock and may fire a millisecond before the wall clock reaches
    // `notBefore`; QStash never delivers early, so wait for the rest.
    const early = msg.notBefore - Date.now();
    if (early > 0) {
      later(early, () => deliver(msg));
      return;
    }
    const signature = await signDelivery({ key: opts.currentSigningKey, url: msg.url, body: msg.body });
    const headers: Record<string, string> = {
      ...msg.headers,
      "Upstash-Signature": signature,
      "Upstash-Message-Id": msg.messageId,
      "Upstash-Retried": String(msg.retried),
      "User-Agent": "Upstash-QStash",
    };
    let status: number | null = null;
    let responseBody = "";
    try {
      const res = await fetch(msg.url, {
        method: msg.method,
        headers,
        body: msg.method === "GET" || msg.method === "HEAD" ? undefined : msg.body,
        signal: AbortSignal.any([inflight.signal, AbortSignal.timeout(30_000)]),
      });
      status = res.status;
      responseBody = await res.text();
    } catch (err) {
      if (closed) return;
      responseBody = err instanceof Error ? err.message : String(err);
    }
    attempts.push({ messageId: msg.messageId, url: msg.url, method: msg.method, headers, body: msg.body, status, at: Date.now() });
    if (status !== null && status >= 200 && status < 300) return;
    if (msg.retried < msg.maxRetries) {
      msg.retried += 1;
      later(retryBackoffMs(msg.retried) * scale, () => deliver(msg));
      return;
    }
    dead.push({
      dlqId: newId("dlq"),
      messageId: msg.messageId,
      url: msg.url,
      method: msg.method,
      header: Object.fromEntries(Object.entries(msg.headers).map(([k, v]) => [k, [v]])),
      body: msg.body,
      maxRetries: msg.maxRetries,
      retried: msg.retried,
      notBefore: msg.notBefore,
      createdAt: msg.createdAt,
      responseStatus: status,
      responseBody,
    });
  }

  function publish(req: IncomingMessage, destination: string, body: string): { messageId: string; url: string; deduplicated?: true } {
    let target: URL;
    try {
      target = new URL(destination);
    } catch (err) {
      throw new BadRequest(`invalid destination url: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (target.protocol !== "http:" && target.protocol !== "https:") throw new BadRequest("invalid destination url: must be http or https");
    const dedupId =
      header(req, "upstash-deduplication-id") ??
      (header(req, "upstash-content-based-deduplication") === "true" ? bodyHash(`${destination}\n${body}`) : undefined);
    const seen = dedupId === undefined ? undefined : dedup.get(dedupId);
    if (seen) return { messageId: seen, url: destination, deduplicated: true };

    const retriesText = header(req, "upstash-retries");
    const maxRetries = retriesText === undefined ? DEFAULT_RETRIES : Number(retriesText);
    if (!Number.isInteger(maxRetries) || maxRetries < 0) throw new BadRequest("invalid Upstash-Retries header");
    const now = Date.now();
    let notBefore = now;
    const delayText = header(req, "upstash-delay");
    if (delayText !== undefined) {
      const delay = parseDuration(delayText);
      if (delay === null) throw new BadRequest(`invalid Upstash-Delay header: ${delayText}`);
      notBefore = now + delay * scale;
    }
    const notBeforeText = header(req, "upstash-not-before");
    if (notBeforeText !== undefined) {
      if (!/^\d+$/.test(notBeforeText)) throw new BadRequest("invalid Upstash-Not-Before header: want unix seconds");
      notBefore = Number(notBeforeText) * 1000; // absolute: never scaled
    }
    const forwarded: Record<string, string> = {};
    const contentType = header(req, "content-type");
    if (contentType) forwarded["Content-Type"] = contentType;
    for (const [name, value] of Object.entries(req.headers)) {
      if (name.startsWith("upstash-forward-") && typeof value === "string") forwarded[name.slice("upstash-forward-".length)] = value;
    }
    const msg: Message = {
      messageId: newId("msg"),
      url: destination,
      method: (header(req, "upstash-method") ?? "POST").toUpperCase(),
      headers: forwarded,
      body,
      maxRetries,
      retried: 0,
      notBefore,
      createdAt: now,
    };
    messages.set(msg.messageId, msg);
    if (dedupId !== undefined) dedup.set(dedupId, msg.messageId);
    later(notBefore - now, () => deliver(msg));
    return { messageId: msg.messageId, url: destination };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString("utf8");
    const rawPath = req.url ?? "/";
    const path = rawPath.split("?")[0] ?? "/";
    if (req.method === "POST" && rawPath.startsWith("/v2/publish/")) {
      sendJson(res, 201, publish(req, rawPath.slice("/v2/publish/".length), body));
    } else if (req.method === "GET" && path === "/v2/dlq") {
      sendJson(res, 200, { messages: dead });
    } else if (req.method === "DELETE" && path.startsWith("/v2/dlq/")) {
      const index = dead.findIndex((m) => m.dlqId === path.slice("/v2/dlq/".length));
      if (index < 0) sendJson(res, 404, { error: "dlq message not found" });
      else sendJson(res, 200, { deleted: dead.splice(index, 1).length });
    } else if (req.method === "GET" && path.startsWith("/v2/messages/")) {
      const msg = messages.get(path.slice("/v2/messages/".length));
      if (!msg) sendJson(res, 404, { error: "message not found" });
      else
        sendJson(res, 200, {
          messageId: msg.messageId,
          url: msg.url,
          method: msg.method,
          body: msg.body,
          maxRetries: msg.maxRetries,
          notBefore: msg.notBefore,
          createdAt: msg.createdAt,
        });
    } else {
      sendJson(res, 404, { error: "not found" });
    }
  }

  const server = createServer((req, res) => {
    if (req.headers.authorization !== `Bearer ${opts.token}`) {
      sendJson(res, 401, { error: "Unauthorized" });
      return;
    }
    handle(req, res).catch((err: unknown) => {
      if (err instanceof BadRequest) sendJson(res, 400, { error: err.message });
      else {
        console.error(`[qstash-emulator] ${req.method} ${(req.url ?? "").split("?")[0]}: ${String(err)}`);
        sendJson(res, 500, { error: "internal error" });
      }
    });
  });

  const listening = await listenOnLoopback(server, opts.port);
  return {
    url: listening.url,
    deliveries: () => [...attempts],
    dlq: () => [...dead],
    async close() {
      closed = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      inflight.abort();
      await listening.close();
    },
  };
}
