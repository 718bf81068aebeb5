// The tenant's live domain-event stream (GET /v1/events/stream): hibernatable WebSockets and
// Server-Sent Events that replay the log after a cursor, then carry each event as it is committed,
// optionally of some topics only, and never close by themselves.

import { isTopic, type Topic } from "../domain/topics";
import { errorText, log } from "../ops/log";
import { replyCloseCode } from "../run/stream";
import type { DomainEvent } from "./events-store";

/** An event of the log with its position. */
export type LoggedEvent = DomainEvent & { seq: number };

/** Reads the log after a cursor, one bounded page at a time, of the given topics (null: all). */
export type LogReader = (after: number, limit: number, topics: readonly Topic[] | null) => LoggedEvent[];

/** What a socket keeps across hibernation: the cursor it was opened with and its topics. */
interface Subscription {
  after: number;
  topics: Topic[] | null;
}

const PAGE = 500;
const encoder = new TextEncoder();

export function sseEventFrame(e: LoggedEvent): Uint8Array {
  return encoder.encode(`id: ${e.seq}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`);
}

const wanted = (s: Subscription, e: LoggedEvent) => e.seq > s.after && (s.topics === null || s.topics.includes(e.topic));

export class EventStreams {
  private readonly sse = new Map<WritableStreamDefaultWriter<Uint8Array>, Subscription>();
  /**
   * The last seq handed to live clients; events after it are sent by the next `pump`. Null while
   * no client listens (every event committed so far counts as handed out): the log is not read
   * after each event then, and a client that opens one sets it (`follow`).
   */
  private sent: number | null;
  private pumping = false;
  private keepAlive: ReturnType<typeof setInterval> | null = null;

  constructor(
    private readonly ctx: DurableObjectState,
    private readonly read: LogReader,
    private readonly lastSeq: () => number,
    private readonly keepAliveMs: number,
  ) {
    this.sent = lastSeq();
    // Answered by the runtime without waking a hibernating object.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair("ping", "pong"));
  }

  /**
   * Opens a stream (WebSocket on `Upgrade`, else SSE) for a request the Worker forwarded: allowed
   * by the `x-edgecrew-tenant` header it sets after authenticating the caller, which must name this
   * object's tenant (else 404); a ticket's nonce (`x-edgecrew-ticket-nonce`) opens one stream only.
   * `after` and `topic` were validated by the Worker.
   */
  open(request: Request, tenantId: string | null, takeTicket: (nonce: string) => boolean): Response {
    if (tenantId === null || request.headers.get("x-edgecrew-tenant") !== tenantId) {
      return Response.json({ error: { code: "not_found", message: "not found" } }, { status: 404 });
    }
    const nonce = request.headers.get("x-edgecrew-ticket-nonce");
    if (nonce !== null && !takeTicket(nonce)) {
      return Response.json({ error: { code: "unauthorized", message: "stream ticket was already used or has expired" } }, { status: 401 });
    }
    const url = new URL(request.url);
    const topics = url.searchParams.get("topic")?.split(",").filter(isTopic) ?? [];
    const sub: Subscription = { after: Math.max(0, Number(url.searchParams.get("after")) || 0), topics: topics.length > 0 ? topics : null };
    if (request.headers.get("upgrade")?.toLowerCase() === "websocket") return this.openWebSocket(sub);
    return this.openSse(sub);
  }

  /**
   * Sends the events committed since the last pump to every client that wants them. Called after
   * each write that may have appended events; it reads what was committed, so an event of a
   * rolled-back transaction is never sent.
   */
  schedule(): void {
    if (this.pumping) return;
    this.pumping = true;
    queueMicrotask(() => {
      this.pumping = false;
      this.pump();
    });
  }

  private pump(): void {
    const sockets = this.ctx.getWebSockets();
    if (sockets.length === 0 && this.sse.size === 0) {
      this.sent = null;
      return;
    }
    for (const page of this.pages(this.sent ?? this.lastSeq(), null)) {
      for (const ws of sockets) this.sendAll(ws, ws.deserializeAttachment() as Subscription, page);
      for (const [writer, sub] of this.sse) for (const e of page) if (wanted(sub, e)) this.write(writer, sseEventFrame(e));
      this.sent = page[page.length - 1]!.seq;
    }
  }

  /**
   * A client opens: its replay covers the log up to its last seq, returned. If nobody was
   * listening, the live cursor starts there too.
   */
  private follow(): number {
    const last = this.lastSeq();
    this.sent ??= last;
    return last;
  }

  private *pages(after: number, topics: readonly Topic[] | null): Generator<LoggedEvent[]> {
    let cursor = after;
    for (;;) {
      const page = this.read(cursor, PAGE, topics);
      if (page.length > 0) yield page;
      if (page.length < PAGE) return;
      cursor = page[page.length - 1]!.seq;
    }
  }

  private openWebSocket(sub: Subscription): Response {
    const pair = new WebSocketPair();
    const [client, server] = [pair[0], pair[1]];
    this.ctx.acceptWebSocket(server);
    // The replay covers the log as it is now; live events are the ones after it.
    server.serializeAttachment({ after: Math.max(sub.after, this.follow()), topics: sub.topics } satisfies Subscription);
    for (const page of this.pages(sub.after, sub.topics)) this.sendAll(server, sub, page);
    return new Response(null, { status: 101, webSocket: client });
  }

  private sendAll(ws: WebSocket, sub: Subscription, events: LoggedEvent[]): void {
    try {
      for (const e of events) if (wanted(sub, e)) ws.send(JSON.stringify(e));
    } catch (e) {
      // A socket that closed meanwhile: the runtime drops it; the client resumes with ?after=.
      log.debug("events_stream.ws_send_failed", "event stream websocket send failed", { error: errorText(e) });
    }
  }

  private openSse(sub: Subscription): Response {
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
    const writer = writable.getWriter();
    this.write(writer, encoder.encode(": connected\n\n"));
    this.sse.set(writer, { after: Math.max(sub.after, this.follow()), topics: sub.topics });
    for (const page of this.pages(sub.after, sub.topics)) for (const e of page) this.write(writer, sseEventFrame(e));
    this.keepAlive ??= setInterval(() => {
      for (const w of this.sse.keys()) this.write(w, encoder.encode(": keep-alive\n\n"));
    }, this.keepAliveMs);
    return new Response(readable, {
      headers: { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" },
    });
  }

  /** Writes to an SSE client; a client gone away is dropped (and the timer stopped with the last one). */
  private write(writer: WritableStreamDefaultWriter<Uint8Array>, chunk: Uint8Array): void {
    writer.write(chunk).catch((e: unknown) => {
      if (!this.sse.delete(writer)) return;
      log.debug("events_stream.sse_write_failed", "event stream sse client gone", { error: errorText(e) });
      if (this.sse.size === 0 && this.keepAlive !== null) {
        clearInterval(this.keepAlive);
        this.keepAlive = null;
      }
    });
  }

  /** The peer closed: a hibernatable socket answers the close frame itself. */
  onClose(ws: WebSocket, code: number, reason: string): void {
    if (ws.readyState === WebSocket.CLOSED || code === 1006) return;
    try {
      ws.close(replyCloseCode(code), code === 1005 ? "" : reason);
    } catch (e) {
      log.debug("events_stream.ws_close_failed", "event stream close reply failed", { code, error: errorText(e) });
    }
  }
}
