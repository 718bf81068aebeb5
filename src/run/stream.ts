// Live delivery of a run's events: hibernatable WebSockets and Server-Sent Events. A client first
// gets every event after its cursor, then live ones, and is closed after the final event.

import type { RunEvent } from "../domain/types";

const PAGE = 500;
const encoder = new TextEncoder();

/** Reads events after a cursor, one bounded page at a time. */
export type EventReader = (after: number, limit: number) => RunEvent[];

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

export class Streams {
  /** SSE writers with the cursor they asked for (events at or below it are never sent). */
  private readonly sse = new Map<WritableStreamDefaultWriter<Uint8Array>, number>();

  constructor(private readonly ctx: DurableObjectState) {}

  /** Accepts a WebSocket (hibernatable), replays events after `after`, closes it if the run is over. */
  openWebSocket(read: EventReader, after: number, finished: boolean): Response {
    const pair = new WebSocketPair();
    const [client, server] = [pair[0], pair[1]];
    this.ctx.acceptWebSocket(server);
    // The cursor survives hibernation in the attachment; live events at or below it are skipped.
    server.serializeAttachment({ after });
    for (const e of replay(read, after)) server.send(JSON.stringify(e));
    if (finished) server.close(1000, "run finished");
    return new Response(null, { status: 101, webSocket: client });
  }

  /** Opens an SSE response: replay after `after`, then live events; ends after the final event. */
  openSse(read: EventReader, after: number, finished: boolean): Response {
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
    const writer = writable.getWriter();
    const fail = (e: unknown) => {
      this.sse.delete(writer);
      console.warn("sse client write failed", { error: String(e) });
    };
    writer.write(encoder.encode(": connected\n\n")).catch(fail);
    for (const e of replay(read, after)) writer.write(sseFrame(e)).catch(fail);
    if (finished) writer.close().catch(fail);
    else this.sse.set(writer, after);
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
        console.warn("websocket send failed", { error: String(e) });
      }
    }
    for (const [writer, after] of this.sse) {
      const fail = (e: unknown) => {
        this.sse.delete(writer);
        console.warn("sse client write failed", { error: String(e) });
      };
      for (const e of events) if (e.seq > after) writer.write(sseFrame(e)).catch(fail);
      if (finished) {
        writer.close().catch(fail);
        this.sse.delete(writer);
      }
    }
  }
}
