// Many Postgres wire-protocol clients over one backend connection (the embedded PGlite serves one
// session): a client holds the backend from its first message until the backend is idle again, so
// transactions never interleave, and each client keeps its own search_path across the switches
// (followed from the backend's ParameterStatus reports where it sends them, Postgres 18 on).
import { connect, createServer, type Server, type Socket } from "node:net";

/** Where the one backend connection goes, and where clients connect. */
export interface PgMultiplexerOptions {
  /** Backend host (a server that accepts one connection, e.g. pglite-socket). */
  backendHost: string;
  backendPort: number;
  /** User and database of the backend session (trust authentication). Default `postgres` both. */
  user?: string;
  database?: string;
  /** Port to listen on (127.0.0.1). Default: any free port. */
  port?: number;
}

/** A running multiplexer. */
export interface PgMultiplexer {
  /** `127.0.0.1` */
  host: string;
  port: number;
  /** Closes every client connection, the listener and the backend connection. */
  close(): Promise<void>;
}

const PROTOCOL_3 = 196_608;
const SSL_REQUEST = 80_877_103;
const GSSENC_REQUEST = 80_877_104;
const CANCEL_REQUEST = 80_877_102;

/** One protocol message: its type byte and the whole frame (type, length and body). */
interface Frame {
  type: string;
  bytes: Buffer;
}

/** Splits complete typed frames off the front of `buf`; returns them and what is left. */
function splitFrames(buf: Buffer): { frames: Frame[]; rest: Buffer } {
  const frames: Frame[] = [];
  let at = 0;
  while (buf.length - at >= 5) {
    const length = buf.readInt32BE(at + 1);
    if (buf.length - at < 1 + length) break;
    frames.push({ type: String.fromCharCode(buf[at] as number), bytes: buf.subarray(at, at + 1 + length) });
    at += 1 + length;
  }
  return { frames, rest: buf.subarray(at) };
}

function frame(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.write(type, 0, "latin1");
  head.writeInt32BE(4 + body.length, 1);
  return Buffer.concat([head, body]);
}

function simpleQuery(sql: string): Buffer {
  return frame("Q", Buffer.from(`${sql}\0`, "utf8"));
}

function startupMessage(user: string, database: string): Buffer {
  const params = Buffer.from(`user\0${user}\0database\0${database}\0\0`, "utf8");
  const head = Buffer.alloc(8);
  head.writeInt32BE(8 + params.length, 0);
  head.writeInt32BE(PROTOCOL_3, 4);
  return Buffer.concat([head, params]);
}

function errorResponse(message: string): Buffer {
  const fields = Buffer.from(`SFATAL\0C08006\0M${message}\0\0`, "utf8");
  return frame("E", fields);
}

/** The name and value of a ParameterStatus message. */
function parameterStatus(f: Frame): { name: string; value: string } {
  const [name = "", value = ""] = f.bytes.toString("utf8", 5, f.bytes.length - 1).split("\0");
  return { name, value };
}

/** The first column of the first DataRow of a simple query's answer, as text (null when absent). */
function firstValue(frames: Frame[]): string | null {
  const row = frames.find((f) => f.type === "D");
  if (!row || row.bytes.readInt16BE(5) < 1) return null;
  const length = row.bytes.readInt32BE(7);
  return length < 0 ? null : row.bytes.subarray(11, 11 + length).toString("utf8");
}

function quoteLiteral(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/** One client connection and its view of the shared session. */
class Client {
  /** Bytes received and not yet split into frames. */
  buffer: Buffer = Buffer.alloc(0);
  started = false;
  /** Frames waiting for this client's turn on the backend. */
  queued: Frame[] = [];
  /** Query and Sync messages sent to the backend and not yet answered by ReadyForQuery. */
  awaitingReady = 0;
  /** Messages sent after the last Sync (an extended-protocol batch in progress). */
  sinceSync = 0;
  /** The backend's transaction status after this client's last command: I, T or E. */
  txStatus = "I";
  /** This client's search_path while another client holds the session (null: the default). */
  searchPath: string | null = null;
  closed = false;

  constructor(readonly socket: Socket) {}
}

/**
 * Starts the multiplexer: connects once to the backend, then accepts any number of clients on
 * 127.0.0.1. A client that opens a transaction and then waits for another client's query
 * deadlocks, as two sessions contending for one lock would; clients must not do that.
 */
export async function startPgMultiplexer(opts: PgMultiplexerOptions): Promise<PgMultiplexer> {
  const backend = await connectBackend(opts.backendHost, opts.backendPort, opts.user ?? "postgres", opts.database ?? "postgres");
  const clients = new Set<Client>();
  const waiting: Client[] = [];
  /** The client whose messages the backend is executing (or null: the backend is free). */
  let owner: Client | null = null;
  /** Whether the owner's session is still being restored (its messages wait meanwhile). */
  let restoring = false;
  /** Without search_path reports: the client whose search_path the session currently has. */
  let sessionOf: Client | null = null;
  /** With search_path reports: the session's search_path now. */
  let sessionPath = backend.defaultSearchPath;
  /** Answers of an internal query are collected here instead of going to a client. */
  let internal: { frames: Frame[]; done: (frames: Frame[]) => void } | null = null;
  let backendBuffer: Buffer = Buffer.alloc(0);
  let failed: Error | null = null;
  /** Set by close(): the clients' and the backend's last events are expected, not failures. */
  let closing = false;

  const internalQuery = (sql: string): Promise<Frame[]> =>
    new Promise((resolve) => {
      internal = { frames: [], done: resolve };
      backend.socket.write(simpleQuery(sql));
    });

  function fail(err: Error): void {
    if (failed || closing) return;
    failed = err;
    console.error(`[pg-multiplexer] backend connection lost: ${err.message}`);
    for (const c of clients) {
      if (!c.closed) c.socket.end(errorResponse(`embedded Postgres is gone: ${err.message}`));
    }
  }

  backend.socket.on("data", (data: Buffer) => {
    const { frames, rest } = splitFrames(Buffer.concat([backendBuffer, data]));
    backendBuffer = rest;
    for (const f of frames) onBackendFrame(f);
  });
  backend.socket.on("error", fail);
  backend.socket.on("close", () => fail(new Error("backend closed the connection")));

  function onBackendFrame(f: Frame): void {
    if (f.type === "S") {
      const status = parameterStatus(f);
      if (status.name === "search_path") sessionPath = status.value;
    }
    if (internal) {
      internal.frames.push(f);
      if (f.type === "Z") {
        const { frames, done } = internal;
        internal = null;
        done(frames);
      }
      return;
    }
    const c = owner;
    if (!c) return; // An asynchronous notice with nobody to tell.
    if (!c.closed) c.socket.write(f.bytes);
    if (f.type !== "Z") return;
    c.awaitingReady -= 1;
    c.txStatus = String.fromCharCode(f.bytes[5] as number);
    if (c.awaitingReady === 0 && c.sinceSync === 0 && (c.txStatus === "I" || c.closed)) release(c);
  }

  /** Ends `c`'s turn: a client that left mid-transaction is rolled back first. */
  function release(c: Client): void {
    if (c.closed && c.txStatus !== "I") {
      c.txStatus = "I";
      internalQuery("rollback").then(() => release(c), fail);
      return;
    }
    if (backend.reportsSearchPath) c.searchPath = sessionPath;
    owner = null;
    const next = waiting.shift();
    if (next) void grant(next);
  }

  const setSearchPath = (path: string) => internalQuery(`select set_config('search_path', ${quoteLiteral(path)}, false)`);

  /** Puts `c`'s search_path on the session: only when it differs (reported), else after saving the last client's. */
  async function restoreSession(c: Client): Promise<void> {
    const wanted = c.searchPath ?? backend.defaultSearchPath;
    if (backend.reportsSearchPath) {
      if (wanted !== sessionPath) await setSearchPath(wanted);
      return;
    }
    if (sessionOf === c) return;
    const saved = await internalQuery("select current_setting('search_path')");
    if (sessionOf && !sessionOf.closed) sessionOf.searchPath = firstValue(saved);
    await setSearchPath(wanted);
    sessionOf = c;
  }

  /** Gives the backend to `c`: restores its search_path, then sends what it queued. */
  async function grant(c: Client): Promise<void> {
    owner = c;
    restoring = true;
    try {
      await restoreSession(c);
    } finally {
      restoring = false;
    }
    if (c.closed) {
      release(c);
      return;
    }
    const frames = c.queued;
    c.queued = [];
    for (const f of frames) forward(c, f);
  }

  function forward(c: Client, f: Frame): void {
    if (f.type === "Q" || f.type === "S" || f.type === "F") {
      c.awaitingReady += 1;
      c.sinceSync = 0;
    } else {
      c.sinceSync += 1;
    }
    backend.socket.write(f.bytes);
  }

  function onClientFrames(c: Client, frames: Frame[]): void {
    for (const f of frames) {
      if (f.type === "X") {
        c.socket.end();
        return;
      }
      if (owner === c && !restoring) forward(c, f);
      else {
        c.queued.push(f);
        if (owner !== c && !waiting.includes(c)) waiting.push(c);
      }
    }
    if (owner === null && waiting.length > 0) void grant(waiting.shift() as Client);
  }

  /** Handles the untyped messages a connection starts with; false while more bytes are needed. */
  function startup(c: Client): boolean {
    if (c.buffer.length < 8) return false;
    const length = c.buffer.readInt32BE(0);
    if (c.buffer.length < length) return false;
    const code = c.buffer.readInt32BE(4);
    c.buffer = c.buffer.subarray(length);
    if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
      c.socket.write("N");
      return startup(c);
    }
    if (code === CANCEL_REQUEST) {
      // One shared session cannot cancel one client's query.
      c.socket.end();
      return false;
    }
    if (code !== PROTOCOL_3) {
      c.socket.end(errorResponse(`unsupported protocol ${code >> 16}.${code & 0xffff}`));
      return false;
    }
    c.started = true;
    c.socket.write(backend.greeting);
    return true;
  }

  function onClientClose(c: Client): void {
    if (c.closed || closing) return;
    c.closed = true;
    clients.delete(c);
    const i = waiting.indexOf(c);
    if (i >= 0) waiting.splice(i, 1);
    if (sessionOf === c) sessionOf = null;
    // A client whose session is being restored is released by grant() once that is done.
    if (owner !== c || restoring) return;
    // Its batch still runs: finish it, then roll back whatever it left open.
    if (c.sinceSync > 0) forward(c, { type: "S", bytes: frame("S", Buffer.alloc(0)) });
    else if (c.awaitingReady === 0) release(c);
  }

  const server: Server = createServer((socket) => {
    const c = new Client(socket);
    clients.add(c);
    socket.setNoDelay(true);
    if (failed) {
      socket.end(errorResponse(`embedded Postgres is gone: ${failed.message}`));
      return;
    }
    socket.on("data", (data: Buffer) => {
      c.buffer = Buffer.concat([c.buffer, data]);
      if (!c.started && !startup(c)) return;
      const { frames, rest } = splitFrames(c.buffer);
      c.buffer = rest;
      if (frames.length > 0) onClientFrames(c, frames);
    });
    socket.on("error", (err) => {
      // A client that vanished: its session is cleaned up on close.
      if (!c.closed) console.warn(`[pg-multiplexer] client connection error: ${err.message}`);
    });
    socket.on("close", () => onClientClose(c));
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("multiplexer has no TCP address");
  return {
    host: "127.0.0.1",
    port: address.port,
    async close() {
      closing = true;
      for (const c of clients) c.socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      backend.socket.removeAllListeners("close");
      backend.socket.end();
    },
  };
}

/** The backend connection after its startup: what every client is greeted with. */
interface Backend {
  socket: Socket;
  /** AuthenticationOk, the ParameterStatus messages, BackendKeyData and ReadyForQuery. */
  greeting: Buffer;
  /** search_path of a fresh session. */
  defaultSearchPath: string;
  /** Whether the backend reports search_path changes (ParameterStatus; Postgres 18 on). */
  reportsSearchPath: boolean;
}

async function connectBackend(host: string, port: number, user: string, database: string): Promise<Backend> {
  const socket = connect({ host, port });
  socket.setNoDelay(true);
  const frames = await new Promise<Frame[]>((resolve, reject) => {
    let buf: Buffer = Buffer.alloc(0);
    const got: Frame[] = [];
    const onData = (data: Buffer) => {
      const split = splitFrames(Buffer.concat([buf, data]));
      buf = split.rest;
      got.push(...split.frames);
      const error = got.find((f) => f.type === "E");
      if (error) done(new Error(`backend refused the startup: ${error.bytes.toString("utf8", 5)}`));
      else if (got.some((f) => f.type === "Z")) done(null);
    };
    const onError = (err: Error) => done(err);
    const onClose = () => done(new Error("backend closed the connection during startup"));
    function done(err: Error | null) {
      socket.off("data", onData);
      socket.off("error", onError);
      socket.off("close", onClose);
      if (err) {
        socket.destroy();
        reject(err);
      } else resolve(got);
    }
    socket.on("data", onData);
    socket.on("error", onError);
    socket.on("close", onClose);
    socket.once("connect", () => socket.write(startupMessage(user, database)));
  });
  const auth = frames.find((f) => f.type === "R");
  if (auth?.bytes.readInt32BE(5) !== 0) throw new Error("backend asked for authentication; the multiplexer supports trust only");
  const greeting = Buffer.concat(frames.filter((f) => ["R", "S", "K", "Z"].includes(f.type)).map((f) => f.bytes));
  const reported = frames
    .filter((f) => f.type === "S")
    .map(parameterStatus)
    .find((p) => p.name === "search_path");
  if (reported) return { socket, greeting, defaultSearchPath: reported.value, reportsSearchPath: true };
  const defaultSearchPath = await new Promise<string>((resolve, reject) => {
    let buf: Buffer = Buffer.alloc(0);
    const got: Frame[] = [];
    const onData = (data: Buffer) => {
      const split = splitFrames(Buffer.concat([buf, data]));
      buf = split.rest;
      got.push(...split.frames);
      if (!got.some((f) => f.type === "Z")) return;
      socket.off("data", onData);
      socket.off("error", reject);
      resolve(firstValue(got) ?? "public");
    };
    socket.on("data", onData);
    socket.once("error", reject);
    socket.write(simpleQuery("select current_setting('search_path')"));
  });
  return { socket, greeting, defaultSearchPath, reportsSearchPath: false };
}
