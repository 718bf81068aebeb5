// Clients of the tenant's live event stream for workerd tests: an SSE reader that parses frames as
// they arrive, and a WebSocket that collects messages.

import { exports } from "cloudflare:workers";
import { BASE } from "./api";

export interface LiveClient {
  /** Events received so far, in order. */
  events: any[];
  /** SSE comment lines received so far (`connected`, `keep-alive`); empty for a WebSocket. */
  comments: string[];
  /** Waits until `ok(events)` holds (default 10 s) and returns the events. */
  until(ok: (events: any[]) => boolean, timeoutMs?: number): Promise<any[]>;
  close(): Promise<void>;
}

async function waitFor(client: { events: any[] }, ok: (events: any[]) => boolean, timeoutMs: number, what: string): Promise<any[]> {
  const deadline = Date.now() + timeoutMs;
  while (!ok(client.events)) {
    if (Date.now() > deadline)
      throw new Error(`${what}: not there within ${timeoutMs} ms; got ${JSON.stringify(client.events.map((e) => e.type))}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return client.events;
}

function request(query: string, key: string | null, headers: Record<string, string>): Request {
  const h = new Headers(headers);
  if (key !== null) h.set("authorization", `Bearer ${key}`);
  return new Request(`${BASE}/v1/events/stream${query}`, { headers: h });
}

/** Opens the stream over SSE; a refusal is returned as `{ status, body }`. */
export async function openSse(
  query: string,
  key: string | null,
  headers: Record<string, string> = {},
): Promise<{ status: number; client: LiveClient | null; body: any; contentType: string | null }> {
  const res = await exports.default.fetch(request(query, key, { accept: "text/event-stream", ...headers }));
  const contentType = res.headers.get("content-type");
  if (res.status !== 200 || !res.body) return { status: res.status, client: null, body: await res.json().catch(() => null), contentType };
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  const client = { events: [] as any[], comments: [] as string[], ids: [] as number[] };
  let buffer = "";
  let closed = false;
  const pump = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      let end = buffer.indexOf("\n\n");
      while (end >= 0) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const lines = frame.split("\n");
        for (const l of lines) if (l.startsWith(": ")) client.comments.push(l.slice(2));
        const data = lines.find((l) => l.startsWith("data: "));
        if (data) client.events.push(JSON.parse(data.slice(6)));
        end = buffer.indexOf("\n\n");
      }
    }
  })().catch((e: unknown) => {
    if (!closed) throw e;
  });
  return {
    status: res.status,
    body: null,
    contentType,
    client: {
      events: client.events,
      comments: client.comments,
      until: (ok, timeoutMs = 10_000) => waitFor(client, ok, timeoutMs, "sse"),
      async close() {
        closed = true;
        await reader.cancel();
        await pump;
      },
    },
  };
}

/** Opens the stream over a WebSocket; a refusal is returned as `{ status, body }`. */
export async function openWs(
  query: string,
  key: string | null,
): Promise<{ status: number; client: (LiveClient & { ws: WebSocket; texts: string[] }) | null; body: any }> {
  const res = await exports.default.fetch(request(query, key, { upgrade: "websocket" }));
  const ws = res.webSocket;
  if (!ws) return { status: res.status, client: null, body: await res.json().catch(() => null) };
  const events: any[] = [];
  const texts: string[] = [];
  ws.addEventListener("message", (e) => {
    const text = e.data as string;
    if (text.startsWith("{")) events.push(JSON.parse(text));
    else texts.push(text);
  });
  ws.accept();
  return {
    status: res.status,
    body: null,
    client: {
      ws,
      texts,
      events,
      comments: [],
      until: (ok, timeoutMs = 10_000) => waitFor({ events }, ok, timeoutMs, "websocket"),
      async close() {
        ws.close(1000, "done");
      },
    },
  };
}
