// A local Upstash Redis REST API over a real Redis (ioredis): `POST /` (one command), `/pipeline`,
// `/multi-exec`, path-style `GET /<cmd>/<args...>`, bearer token auth, `Upstash-Encoding: base64`
// and `{ "error": "..." }` bodies. A key prefix isolates concurrent test runs on one Redis.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { Redis } from "ioredis";
import { listenOnLoopback } from "./listen";

/** Options of startUpstashGateway. */
export interface UpstashGatewayOptions {
  /** Bearer token clients must send (`Authorization: Bearer` or `?_token=`). */
  token: string;
  /** Redis to serve. Default redis://127.0.0.1:6379. */
  redisUrl?: string;
  /** Port to listen on (127.0.0.1). Default: any free port. */
  port?: number;
  /** Prepended to every key; its keys are deleted on close(). FLUSHDB, KEYS, SCAN stay inside it. */
  keyPrefix?: string;
  /** Redis database number. Default 0. */
  db?: number;
}

/** A running gateway. */
export interface UpstashGateway {
  /** The REST URL (UPSTASH_REDIS_REST_URL). */
  url: string;
  close(): Promise<void>;
}

type Reply = { result: unknown } | { error: string };

// Commands that would hold or change the state of the shared connection, or escape the prefix.
const REFUSED = new Set([
  "auth",
  "hello",
  "select",
  "quit",
  "reset",
  "multi",
  "exec",
  "discard",
  "watch",
  "unwatch",
  "subscribe",
  "psubscribe",
  "ssubscribe",
  "unsubscribe",
  "punsubscribe",
  "monitor",
  "sync",
  "psync",
  "shutdown",
  "debug",
  "client",
  "flushall",
  "blpop",
  "brpop",
  "blmove",
  "brpoplpush",
  "bzpopmin",
  "bzpopmax",
  "blmpop",
  "bzmpop",
  "xread",
  "xreadgroup",
  "wait",
  "failover",
  "replicaof",
  "slaveof",
]);

const UNAUTHORIZED = { error: "WRONGPASS invalid or missing auth token" };

class CommandError extends Error {}

/** Strings become base64 except "OK", as the real service does; numbers and null stay. */
function encode(value: unknown, base64: boolean): unknown {
  if (Buffer.isBuffer(value)) {
    const text = value.toString("utf8");
    return base64 && text !== "OK" ? value.toString("base64") : text;
  }
  if (typeof value === "string") return base64 && value !== "OK" ? Buffer.from(value).toString("base64") : value;
  if (Array.isArray(value)) return value.map((v) => encode(v, base64));
  return value ?? null;
}

/** ioredis turns an HGETALL reply into an object; the REST API answers Redis's flat array. */
function untransform(name: string, value: unknown): unknown {
  if (name !== "hgetall" || value === null || typeof value !== "object" || Array.isArray(value) || Buffer.isBuffer(value)) return value;
  return Object.entries(value as Record<string, unknown>).flat();
}

function toArgs(command: unknown): [string, string[]] {
  if (!Array.isArray(command) || command.length === 0) throw new CommandError("ERR command must be a non-empty JSON array");
  const args = command.map((a) => {
    if (typeof a === "string") return a;
    if (typeof a === "number" || typeof a === "boolean") return String(a);
    throw new CommandError(`ERR invalid argument type ${a === null ? "null" : typeof a}`);
  });
  const name = (args.shift() ?? "").toLowerCase();
  if (REFUSED.has(name)) throw new CommandError(`ERR Command is not allowed: ${name}`);
  return [name, args];
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "Content-Type": "application/json" });
  res.end(JSON.stringify(body));
}

/** Starts the gateway on 127.0.0.1 after checking that Redis answers. */
export async function startUpstashGateway(opts: UpstashGatewayOptions): Promise<UpstashGateway> {
  const prefix = opts.keyPrefix ?? "";
  const redis = new Redis(opts.redisUrl ?? "redis://127.0.0.1:6379", {
    db: opts.db ?? 0,
    keyPrefix: prefix || undefined,
    lazyConnect: true,
    maxRetriesPerRequest: 1,
  });
  redis.on("error", (err: Error) => console.error(`[upstash-gateway] redis: ${err.message}`));
  await redis.connect();
  await redis.ping();

  async function scanAll(pattern: string): Promise<string[]> {
    const keys: string[] = [];
    let cursor = "0";
    do {
      const [next, batch] = await redis.scan(cursor, "MATCH", pattern, "COUNT", 500);
      cursor = next;
      keys.push(...batch);
    } while (cursor !== "0");
    return keys;
  }

  // KEYS, SCAN and FLUSHDB take no key arguments, so ioredis cannot prefix them: emulate them
  // inside the prefix so a test sees and clears only its own keys.
  async function runPrefixed(name: string, args: string[]): Promise<unknown> {
    if (name === "keys") return (await scanAll(prefix + (args[0] ?? "*"))).map((k) => k.slice(prefix.length));
    if (name === "flushdb") {
      const keys = await scanAll(`${prefix}*`);
      for (let i = 0; i < keys.length; i += 500) await redis.unlink(...keys.slice(i, i + 500).map((k) => k.slice(prefix.length)));
      return "OK";
    }
    const options = [...args.slice(1)];
    const match = options.findIndex((o) => o.toLowerCase() === "match");
    if (match >= 0) options[match + 1] = prefix + (options[match + 1] ?? "*");
    else options.push("MATCH", `${prefix}*`);
    const [cursor, keys] = (await redis.call("scan", args[0] ?? "0", ...options)) as [string, string[]];
    return [cursor, keys.map((k) => k.slice(prefix.length))];
  }

  async function runOne(command: unknown): Promise<unknown> {
    const [name, args] = toArgs(command);
    if (prefix && (name === "keys" || name === "scan" || name === "flushdb")) return runPrefixed(name, args);
    return untransform(name, await redis.callBuffer(name, ...args));
  }

  function failure(err: unknown): { error: string } {
    if (err instanceof Error) return { error: err.message };
    return { error: String(err) };
  }

  async function runMulti(commands: unknown[]): Promise<{ status: number; body: unknown }> {
    const parsed = commands.map(toArgs);
    const tx = redis.multi();
    for (const [name, args] of parsed) {
      if (name === "keys" || name === "scan" || name === "flushdb")
        throw new CommandError(`ERR Command is not allowed in a transaction: ${name}`);
      tx.callBuffer(name, ...args);
    }
    const results = await tx.exec();
    if (results === null) throw new CommandError("EXECABORT Transaction discarded");
    return {
      status: 200,
      body: results.map(([err, value], i) => (err ? failure(err) : { result: untransform(parsed[i]?.[0] ?? "", value) })),
    };
  }

  async function handle(req: IncomingMessage, url: URL): Promise<{ status: number; body: unknown }> {
    const raw = await readBody(req);
    const method = req.method ?? "GET";
    if (url.pathname === "/" || url.pathname === "/pipeline" || url.pathname === "/multi-exec") {
      if (method !== "POST") return { status: 405, body: { error: "ERR only POST is allowed here" } };
      let body: unknown;
      try {
        body = JSON.parse(raw.toString("utf8"));
      } catch (err) {
        return { status: 400, body: { error: `ERR failed to parse command: ${failure(err).error}` } };
      }
      if (url.pathname === "/") return { status: 200, body: { result: await runOne(body) } };
      if (!Array.isArray(body) || body.length === 0)
        return { status: 400, body: { error: "ERR body must be a non-empty array of commands" } };
      if (url.pathname === "/multi-exec") return runMulti(body);
      // Sent without awaiting each other: ioredis keeps them in order on one connection.
      const settled = await Promise.allSettled(body.map(runOne));
      const replies: Reply[] = settled.map((s) => (s.status === "fulfilled" ? { result: s.value } : failure(s.reason)));
      return { status: 200, body: replies };
    }
    // Path style: /set/foo/bar; a POST body is the next argument and query parameters follow it
    // (/set/foo?EX=100 with body v is SET foo v EX 100).
    if (!["GET", "POST", "PUT", "HEAD"].includes(method)) return { status: 405, body: { error: "ERR method not allowed" } };
    const command = url.pathname
      .split("/")
      .slice(1)
      .map((s) => decodeURIComponent(s));
    if (raw.length > 0) command.push(raw.toString("utf8"));
    for (const [key, value] of url.searchParams) if (key !== "_token") command.push(key, ...(value ? [value] : []));
    return { status: 200, body: { result: await runOne(command) } };
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://gateway.local");
    const auth = req.headers.authorization;
    const given = auth?.startsWith("Bearer ") ? auth.slice(7) : url.searchParams.get("_token");
    if (given !== opts.token) {
      sendJson(res, 401, UNAUTHORIZED);
      return;
    }
    const base64 = String(req.headers["upstash-encoding"] ?? "").toLowerCase() === "base64";
    handle(req, url).then(
      ({ status, body }) => {
        const encoded = Array.isArray(body)
          ? body.map((r: Reply) => ("result" in r ? { result: encode(r.result, base64) } : r))
          : typeof body === "object" && body !== null && "result" in body
            ? { result: encode((body as { result: unknown }).result, base64) }
            : body;
        sendJson(res, status, encoded);
      },
      (err: unknown) => sendJson(res, 400, failure(err)),
    );
  });

  const listening = await listenOnLoopback(server, opts.port);
  return {
    url: listening.url,
    async close() {
      await listening.close();
      if (prefix) await runPrefixed("flushdb", []);
      await redis.quit();
    },
  };
}
