// A tiny local HTTP target for the agents' HTTP tools (node:http): echoes requests, serves large,
// slow or failing answers, and receives tenant HTTP tool calls, verifying their Standard Webhooks
// signatures on its own (node:crypto) and recording what arrived, per scope.
//
//   ANY  /echo/<scope>[/...]?status=N&bytes=N&delay=MS&location=URL  → {method, path, headers, body},
//        or N bytes of text streamed as the client reads them; with status=N that status, with
//        location=URL that Location header (status=307&location=... is a redirect).
//   POST /hook/<scope>/<tool>?big=N&status=N&stream=N   → checks the signature with the scope's
//        secret: 401 when it does not verify, else {ok: true, tool, received} (big=N pads the
//        answer past N bytes; deep=N answers JSON nested N arrays deep; status=N answers that
//        status instead, with location=URL as its Location; fail=N answers 500 to the first N
//        calls on that path; stream=N answers 200 with N bytes streamed as the client reads them).
//   A streamed answer records how far it got in the request's `answer`: while a client stops
//   reading, it stays incomplete (once a client has read it all, it is complete).
//   POST /_control/secret {scope, secret}  GET /_control/received?scope=S  POST /_control/reset {scope?}
import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { listenOnLoopback } from "./listen";

/** One request the echo server received. */
export interface ReceivedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  /** For /hook requests: whether the signature verified with the scope's secret. */
  verified: boolean | null;
  /** For streamed answers: bytes handed to the connection so far, and whether all were sent. */
  answer?: { bytes: number; complete: boolean };
}

export interface EchoServer {
  url: string;
  close(): Promise<void>;
}

/** The HMAC key of a Standard Webhooks secret: the base64 after `whsec_` (URL-safe alphabet too). */
function keyOf(secret: string): Buffer {
  if (secret.startsWith("whsec_")) return Buffer.from(secret.slice(6).replace(/-/g, "+").replace(/_/g, "/"), "base64");
  return Buffer.from(secret, "utf8");
}

function verify(secret: string | undefined, req: IncomingMessage, body: string): boolean {
  const id = req.headers["webhook-id"];
  const ts = req.headers["webhook-timestamp"];
  const sig = req.headers["webhook-signature"];
  if (!secret || typeof id !== "string" || typeof ts !== "string" || typeof sig !== "string") return false;
  if (Math.abs(Date.now() / 1000 - Number(ts)) > 300) return false;
  const expected = createHmac("sha256", keyOf(secret)).update(`${id}.${ts}.${body}`).digest();
  return sig.split(" ").some((part) => {
    const [version, value] = part.split(",", 2);
    if (version !== "v1" || !value) return false;
    const given = Buffer.from(value, "base64");
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

async function readText(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function send(res: ServerResponse, status: number, body: unknown, type = "application/json", location: string | null = null): void {
  if (res.destroyed || res.writableEnded) return;
  res.writeHead(status, { "content-type": type, ...(location ? { location } : {}) });
  res.end(typeof body === "string" ? body : JSON.stringify(body));
}

const CHUNK = Buffer.alloc(64 * 1024, "a");

/**
 * Answers `bytes` bytes of text, writing only as fast as the client reads (backpressure), and
 * records in `r.answer` how many were handed to the connection and whether all of them were.
 */
async function stream(res: ServerResponse, status: number, bytes: number, r: ReceivedRequest): Promise<void> {
  const answer = { bytes: 0, complete: false };
  r.answer = answer;
  res.on("finish", () => {
    answer.complete = true;
  });
  res.writeHead(status, { "content-type": "text/plain", "content-length": String(bytes) });
  while (answer.bytes < bytes && !res.destroyed) {
    const n = Math.min(CHUNK.length, bytes - answer.bytes);
    const drained = res.write(n === CHUNK.length ? CHUNK : CHUNK.subarray(0, n));
    answer.bytes += n;
    if (!drained) {
      await new Promise<void>((resolve) => {
        const done = () => {
          res.off("drain", done);
          res.off("close", done);
          resolve();
        };
        res.on("drain", done);
        res.on("close", done);
      });
    }
  }
  if (!res.destroyed) res.end();
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Starts the echo server on 127.0.0.1 (any free port). */
export async function startEchoServer(): Promise<EchoServer> {
  const secrets = new Map<string, string>();
  const received = new Map<string, ReceivedRequest[]>();

  function record(scope: string, r: ReceivedRequest): void {
    const list = received.get(scope) ?? [];
    list.push(r);
    received.set(scope, list);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://echo");
    const body = await readText(req);
    const q = (name: string) => (url.searchParams.has(name) ? Number(url.searchParams.get(name)) : null);
    if (url.pathname.startsWith("/_control/")) {
      const input = body === "" ? {} : (JSON.parse(body) as { scope?: string; secret?: string });
      if (url.pathname === "/_control/secret" && input.scope && input.secret) {
        secrets.set(input.scope, input.secret);
        return send(res, 200, { ok: true });
      }
      if (url.pathname === "/_control/received")
        return send(res, 200, { requests: received.get(url.searchParams.get("scope") ?? "") ?? [] });
      if (url.pathname === "/_control/reset") {
        if (input.scope === undefined) received.clear();
        else received.delete(input.scope);
        return send(res, 200, { ok: true });
      }
      return send(res, 400, { error: "unknown control call or missing fields" });
    }
    const [, kind, scope = "", tool = ""] = url.pathname.split("/");
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
    const base = { method: req.method ?? "", path: url.pathname + url.search, headers, body };
    const location = url.searchParams.get("location");
    if (kind === "echo") {
      const r: ReceivedRequest = { ...base, verified: null };
      record(scope, r);
      const delay = q("delay");
      if (delay) await sleep(delay);
      const bytes = q("bytes");
      if (bytes !== null) return stream(res, q("status") ?? 200, bytes, r);
      return send(res, q("status") ?? 200, { method: base.method, path: base.path, headers, body }, "application/json", location);
    }
    if (kind === "hook" && req.method === "POST") {
      const ok = verify(secrets.get(scope), req, body);
      const r: ReceivedRequest = { ...base, verified: ok };
      record(scope, r);
      if (!ok) return send(res, 401, { error: "signature does not verify" });
      const status = q("status");
      if (status !== null) return send(res, status, { error: `scripted status ${status}` }, "application/json", location);
      const streamed = q("stream");
      if (streamed !== null) return stream(res, 200, streamed, r);
      const fail = q("fail");
      const seen = (received.get(scope) ?? []).filter((r) => r.path.split("?")[0] === url.pathname).length;
      if (fail !== null && seen <= fail) return send(res, 500, { error: `scripted failure ${seen} of ${fail}` });
      const deep = q("deep");
      if (deep) return send(res, 200, `{"ok":true,"deep":${"[".repeat(deep)}${"]".repeat(deep)}}`);
      const big = q("big");
      return send(res, 200, { ok: true, tool, received: JSON.parse(body) as unknown, ...(big ? { pad: "x".repeat(big) } : {}) });
    }
    send(res, 404, { error: "no such route" });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      console.error("echo-server: handler failed", err);
      send(res, 500, { error: "echo server failed" });
    });
  });
  const listening = await listenOnLoopback(server);
  return {
    url: listening.url,
    close: listening.close,
  };
}
