// Live delivery of a run's events: who may open a stream (the tenant the Worker authenticated; a ticket's nonce once),
// hibernatable WebSockets and Server-Sent Events. A client first gets every event after its
// cursor, then live ones, and is closed after the final event.

import type { Progress, ProgressFrame } from "../domain/progress";
import type { RunEvent } from "../domain/types";
import { errorText, log } from "../ops/log";

const PAGE = 500;
const encoder = new TextEncoder();
/** Close codes that only describe a closure and may never be sent in a close frame (RFC 6455 7.4.1). */
const RESERVED_CLOSE_CODES = new Set([1005, 1006, 1015]);
/** The tag of a WebSocket that asked for progress notes (`?progress=true`). */
const PROGRESS_TAG = "progress";

/** Reads events after a cursor, one bounded page at a time. */
export type EventReader = (after: number, limit: number) => RunEvent[];

/** What a stream request needs to know of its run. */
export interface StreamRun {
  tenantId: string;
  /** The run is in a final state. */
  finished: boolean;
  /** The seq of the last event written (0 before any). */
  lastSeq: number;
  read: EventReader;
  /** Consumes a stream ticket's nonce: true once, if it was issued and has not expired. */
  takeTicket(nonce: string): boolean;
}

function* replay(read: EventReader, after: number): Generator<RunEvent> {
  let cursor = after;
  for (;;) {
    const page = read(cursor, PAGE);
    yield* page;
    if (page.length < PAGE) return;
    cursor = page[page.length - 1]!.seq;
  }
}

export function sseFrame(e: RunEvent): Uint8Array {
  return encoder.encode(`id: ${e.seq}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`);
}

const refusal = (status: 401 | 404, code: string, message: string) => Response.json({ error: { code, message } }, { status });

/** The close code to answer a peer's close with: its own, unless it is one that may not be sent. */
export function replyCloseCode(code: number): number {
  return RESERVED_CLOSE_CODES.has(code) ? 1000 : code;
}

export class Streams {
  /**
   * SSE writers with the cursor they asked for (events at or below it are never sent) and whether
   * they asked for progress notes.
   */
  private readonly sse = new Map<WritableStreamDefaultWriter<Uint8Array>, { after: number; progress: boolean }>();

  constructor(private readonly ctx: DurableObjectState) {}

  /**
   * Answers a stream request the Worker forwarded: `/stream` (WebSocket) or `/logs` (SSE). It is
   * allowed by the `x-edgecrew-tenant` header the Worker sets after authenticating the caller (by
   * key, JWT, or a signed ticket whose MAC, run and expiry it checked); a ticket's nonce
   * (`x-edgecrew-ticket-nonce`) opens one stream only. Another tenant's run, like a missing one, is 404. The cursor is `?after=` or
   * `Last-Event-ID`. An SSE request whose cursor is at or past the final event of a finished run
   * gets 204 No Content, which tells an EventSource to stop reconnecting.
   */
  open(request: Request, run: StreamRun | null): Response {
    const url = new URL(request.url);
    const tenant = request.headers.get("x-edgecrew-tenant");
    const nonce = request.headers.get("x-edgecrew-ticket-nonce");
    if (!run || tenant !== run.tenantId) return refusal(404, "not_found", "run not found");
    if (nonce !== null && !run.takeTicket(nonce)) {
      return refusal(401, "unauthorized", "stream ticket was already used or has expired");
    }
    const after = Math.max(0, Number(url.searchParams.get("after") ?? request.headers.get("last-event-id") ?? 0) || 0);
    const progress = url.searchParams.get("progress") === "true";
    if (url.pathname.endsWith("/stream")) return this.openWebSocket(run.read, after, run.finished, progress);
    if (run.finished && after >= run.lastSeq) return new Response(null, { status: 204 });
    return this.openSse(run.read, after, run.finished, progress);
  }

  /** Accepts a WebSocket (hibernatable), replays events after `after`, closes it if the run is over. */
  private openWebSocket(read: EventReader, after: number, finished: boolean, progress: boolean): Response {
    const pair = new WebSocketPair();
    const [client, server] = [pair[0], pair[1]];
    this.ctx.acceptWebSocket(server, progress ? [PROGRESS_TAG] : []);
    // The cursor survives hibernation in the attachment; live events at or below it are skipped.
    server.serializeAttachment({ after });
    for (const e of replay(read, after)) server.send(JSON.stringify(e));
    if (finished) server.close(1000, "run finished");
    return new Response(null, { status: 101, webSocket: client });
  }

  /** Opens an SSE response: replay after `after`, then live events; ends after the final event. */
  private openSse(read: EventReader, after: number, finished: boolean, progress: boolean): Response {
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
    const writer = writable.getWriter();
    const fail = (e: unknown) => {
      this.sse.delete(writer);
      log.debug("stream.sse_write_failed", "sse client write failed", { error: errorText(e) });
    };
    writer.write(encoder.encode(": connected\n\n")).catch(fail);
    for (const e of replay(read, after)) writer.write(sseFrame(e)).catch(fail);
    if (finished) writer.close().catch(fail);
    else this.sse.set(writer, { after, progress });
    return new Response(readable, {
      headers: { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" },
    });
  }

  /** Sends newly committed events to every connected client; closes them after a final event. */
  broadcast(events: RunEvent[], finished: boolean): void {
    if (events.length === 0) return;
    const sockets = this.ctx.getWebSockets();
    const messages = events.map((e) => [e.seq, JSON.stringify(e)] as const);
    for (const ws of sockets) {
      try {
        const after = (ws.deserializeAttachment() as { after?: number } | null)?.after ?? 0;
        for (const [seq, m] of messages) if (seq > after) ws.send(m);
        if (finished) ws.close(1000, "run finished");
      } catch (e) {
        // A socket that closed meanwhile: the runtime drops it; the client can resume with ?after=.
        log.debug("stream.ws_send_failed", "websocket send failed", { error: errorText(e) });
      }
    }
    for (const [writer, { after }] of this.sse) {
      const fail = (e: unknown) => {
        this.sse.delete(writer);
        log.debug("stream.sse_write_failed", "sse client write failed", { error: errorText(e) });
      };
      for (const e of events) if (e.seq > after) writer.write(sseFrame(e)).catch(fail);
      if (finished) {
        writer.close().catch(fail);
        this.sse.delete(writer);
      }
    }
  }

  /** Who follows the run: whether any open stream asked for progress notes, and whether any is open. */
  followers(): { watched: boolean; live: boolean } {
    const watched = this.watching();
    return { watched, live: watched || this.ctx.getWebSockets().length > 0 || this.sse.size > 0 };
  }

  /** Whether any open stream asked for progress notes. */
  watching(): boolean {
    if (this.ctx.getWebSockets(PROGRESS_TAG).length > 0) return true;
    for (const { progress } of this.sse.values()) if (progress) return true;
    return false;
  }

  /**
   * Sends a progress note to the streams that asked for them, and nothing else: it has no `seq`, is
   * never stored and never replayed (a WebSocket message `{"type":"progress",...}`, an SSE
   * `event: progress` without an `id:`, so a reconnect's cursor is unchanged).
   */
  progress(runId: string, p: Progress): void {
    const frame: ProgressFrame = { type: "progress", run_id: runId, ...p };
    const data = JSON.stringify(frame);
    for (const ws of this.ctx.getWebSockets(PROGRESS_TAG)) {
      try {
        ws.send(data);
      } catch (e) {
        log.debug("stream.ws_send_failed", "websocket send failed", { error: errorText(e) });
      }
    }
    const encoded = encoder.encode(`event: progress\ndata: ${data}\n\n`);
    for (const [writer, { progress }] of this.sse) {
      if (!progress) continue;
      writer.write(encoded).catch((e: unknown) => {
        this.sse.delete(writer);
        log.debug("stream.sse_write_failed", "sse client write failed", { error: errorText(e) });
      });
    }
  }

  /** A client message: the stream is one-way; "ping" is answered with "pong" so it can test liveness. */
  onMessage(ws: WebSocket, message: string | ArrayBuffer): void {
    if (message === "ping") ws.send("pong");
  }

  /**
   * The peer closed (or the connection dropped). A hibernatable socket must answer a close frame
   * itself; 1005/1006/1015 only describe a closure and are answered with 1000. A socket that is
   * already closed (our own close after the final event, or a dropped connection) needs nothing.
   */
  onClose(ws: WebSocket, code: number, reason: string): void {
    if (ws.readyState === WebSocket.CLOSED || code === 1006) return;
    try {
      ws.close(replyCloseCode(code), code === 1005 ? "" : reason);
    } catch (e) {
      log.debug("stream.ws_close_failed", "websocket close reply failed", { code, error: errorText(e) });
    }
  }

  onError(error: unknown): void {
    log.debug("stream.ws_error", "websocket error", { error: errorText(error) });
  }
}
