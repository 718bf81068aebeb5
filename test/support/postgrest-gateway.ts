// A PostgREST-compatible gateway (the `/rest/v1` part of a Supabase project) over a real Postgres,
// so `@supabase/supabase-js` runs end to end in tests: api key checks, schema profiles, RPC and
// table routes, PostgREST's error bodies and statuses. Each request runs in one transaction.
// A tenant's ledger can be made unreachable (POST /_control/outage {tenant, down}): while it is,
// every RPC naming that tenant (`p_tenant_id`) has its connection dropped before it reaches
// Postgres, as a network failure would; GET /_control/outage?tenant=T says how many were dropped.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import pg from "pg";
import { listenOnLoopback } from "./listen";
import { PostgrestHttpError, toPostgrestError } from "./postgrest-errors";
import { callFunction, type GatewayResult, IDENTIFIER } from "./postgrest-rpc";
import { handleTable } from "./postgrest-tables";

/** Options of startPostgrestGateway. */
export interface PostgrestGatewayOptions {
  /** postgres:// URL of the database to serve. */
  databaseUrl: string;
  /** The service role key: required as `apikey` and as `Authorization: Bearer`. */
  serviceKey: string;
  /** Port to listen on (127.0.0.1). Default: any free port. */
  port?: number;
  /** The one exposed schema (PostgREST `db-schemas`). Default `public`. */
  schema?: string;
}

/** A running gateway. */
export interface PostgrestGateway {
  /** Base URL to give `createClient` (the gateway serves `${url}/rest/v1`). */
  url: string;
  close(): Promise<void>;
}

const JSON_TYPE = "application/json; charset=utf-8";

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function send(res: ServerResponse, result: GatewayResult): void {
  const headers: Record<string, string> = { ...result.headers };
  if (result.body !== null) headers["Content-Type"] = JSON_TYPE;
  res.writeHead(result.status, headers);
  res.end(result.body ?? undefined);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  send(res, { status, body: JSON.stringify(body) });
}

/** Supabase's gateway answers a missing or wrong key before PostgREST sees the request. */
function checkKeys(req: IncomingMessage, url: URL, serviceKey: string): { status: number; body: unknown } | null {
  const apikey = req.headers.apikey ?? url.searchParams.get("apikey");
  if (!apikey) {
    return { status: 401, body: { message: "No API key found in request", hint: "No `apikey` request header or url param was found." } };
  }
  if (apikey !== serviceKey) {
    return { status: 401, body: { message: "Invalid API key", hint: "Double check your Supabase `anon` or `service_role` API key." } };
  }
  const auth = req.headers.authorization;
  if (auth !== undefined && auth !== `Bearer ${serviceKey}`) {
    return { status: 401, body: { code: "PGRST301", message: "JWSError JWSInvalidSignature", details: null, hint: null } };
  }
  return null;
}

function parseJson(text: string, emptyAs: unknown): unknown {
  if (text.trim() === "") return emptyAs;
  try {
    return JSON.parse(text);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new PostgrestHttpError(400, "PGRST102", "Empty or invalid json", reason, null);
  }
}

/** Tenants whose ledger calls are refused, and how many calls naming each were dropped. */
class Outages {
  private readonly down = new Set<string>();
  private readonly dropped = new Map<string, number>();

  set(tenant: string, down: boolean): void {
    if (down) this.down.add(tenant);
    else this.down.delete(tenant);
  }

  /** True (and counted) when the RPC body names a tenant whose ledger is down. */
  refuses(rpcBody: string): boolean {
    let tenant: unknown;
    try {
      tenant = (JSON.parse(rpcBody) as { p_tenant_id?: unknown }).p_tenant_id;
    } catch {
      return false;
    }
    if (typeof tenant !== "string" || !this.down.has(tenant)) return false;
    this.dropped.set(tenant, (this.dropped.get(tenant) ?? 0) + 1);
    return true;
  }

  state(tenant: string): { tenant: string; down: boolean; dropped: number } {
    return { tenant, down: this.down.has(tenant), dropped: this.dropped.get(tenant) ?? 0 };
  }
}

/** Thrown for a refused call: the server drops the connection instead of answering. */
class Dropped extends Error {}

async function outageControl(req: IncomingMessage, url: URL, outages: Outages): Promise<GatewayResult> {
  if (req.method === "POST") {
    const body = parseJson(await readBody(req), {}) as { tenant?: unknown; down?: unknown };
    if (typeof body.tenant !== "string" || typeof body.down !== "boolean") {
      return { status: 400, body: JSON.stringify({ message: "expected {tenant: string, down: boolean}" }) };
    }
    outages.set(body.tenant, body.down);
    return { status: 200, body: JSON.stringify(outages.state(body.tenant)) };
  }
  return { status: 200, body: JSON.stringify(outages.state(url.searchParams.get("tenant") ?? "")) };
}

function preferTokens(req: IncomingMessage): string[] {
  const raw = req.headers.prefer;
  const all = Array.isArray(raw) ? raw.join(",") : (raw ?? "");
  return all
    .split(",")
    .map((t) => t.trim())
    .filter((t) => t.length > 0);
}

/** Starts the gateway on 127.0.0.1. Postgres errors surface as PostgREST would render them. */
export async function startPostgrestGateway(opts: PostgrestGatewayOptions): Promise<PostgrestGateway> {
  const schema = opts.schema ?? "public";
  if (!IDENTIFIER.test(schema)) throw new Error(`invalid schema name: ${schema}`);
  const pool = new pg.Pool({ connectionString: opts.databaseUrl, max: 10 });
  pool.on("error", (err) => console.error(`[postgrest-gateway] idle client error: ${err.message}`));
  // Fail at start, not at the first request, when Postgres is not there.
  await pool.query("select 1");
  const outages = new Outages();

  async function route(req: IncomingMessage, url: URL): Promise<GatewayResult> {
    const method = req.method ?? "GET";
    const rest = url.pathname.replace(/^\/rest\/v1\/?/, "");
    const profile = method === "GET" || method === "HEAD" ? req.headers["accept-profile"] : req.headers["content-profile"];
    if (typeof profile === "string" && profile !== schema) {
      throw new PostgrestHttpError(406, "PGRST106", `The schema must be one of the following: ${schema}`, null, null);
    }
    const text = await readBody(req);
    if (rest.startsWith("rpc/") && method === "POST" && outages.refuses(text)) throw new Dropped();
    const db = await pool.connect();
    try {
      await db.query("begin");
      await db.query("select set_config('search_path', $1, true)", [`"${schema}"`]);
      let result: GatewayResult;
      if (rest.startsWith("rpc/")) {
        const fn = decodeURIComponent(rest.slice(4));
        let args: Record<string, unknown>;
        if (method === "GET" || method === "HEAD") {
          args = Object.fromEntries([...url.searchParams].filter(([k]) => k !== "apikey"));
        } else if (method === "POST") {
          const body = parseJson(text, {});
          if (typeof body !== "object" || body === null || Array.isArray(body)) {
            throw new PostgrestHttpError(400, "PGRST102", "Empty or invalid json", "function arguments must be a JSON object", null);
          }
          args = body as Record<string, unknown>;
        } else {
          throw new PostgrestHttpError(405, "PGRST101", "Only GET or POST requests are allowed for RPC", null, null);
        }
        result = await callFunction(db, schema, fn, args);
      } else if (rest !== "" && !rest.includes("/")) {
        const accept = req.headers.accept ?? "";
        const params = new URLSearchParams(url.searchParams);
        params.delete("apikey");
        result = await handleTable(db, {
          method,
          schema,
          table: decodeURIComponent(rest),
          params,
          body: method === "POST" || method === "PATCH" ? parseJson(text, null) : null,
          prefer: preferTokens(req),
          single: accept.includes("application/vnd.pgrst.object+json"),
        });
      } else {
        throw new PostgrestHttpError(404, "PGRST125", `Invalid path specified in request URL`, null, null);
      }
      await db.query(preferTokens(req).includes("tx=rollback") ? "rollback" : "commit");
      return result;
    } catch (err) {
      await db.query("rollback").catch((rollbackErr: unknown) => {
        console.error(`[postgrest-gateway] rollback failed: ${String(rollbackErr)}`);
      });
      throw err;
    } finally {
      db.release();
    }
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://gateway.local");
    if (url.pathname === "/_control/outage") {
      outageControl(req, url, outages).then(
        (result) => send(res, result),
        (err: unknown) => sendJson(res, 400, { message: String(err) }),
      );
      return;
    }
    if (!url.pathname.startsWith("/rest/v1")) {
      sendJson(res, 404, { message: "no Route matched with those values" });
      return;
    }
    const denied = checkKeys(req, url, opts.serviceKey);
    if (denied) {
      sendJson(res, denied.status, denied.body);
      return;
    }
    route(req, url).then(
      (result) => send(res, result),
      (err: unknown) => {
        if (err instanceof Dropped) return void req.socket.destroy();
        const failure = toPostgrestError(err);
        if (failure.status >= 500) console.error(`[postgrest-gateway] ${req.method} ${url.pathname}: ${failure.message}`);
        sendJson(res, failure.status, failure.body);
      },
    );
  });

  const listening = await listenOnLoopback(server, opts.port);
  return {
    url: listening.url,
    async close() {
      await listening.close();
      await pool.end();
    },
  };
}
