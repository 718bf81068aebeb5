// A WebSocket client for workerd tests: collects messages and the close code.

import { exports } from "cloudflare:workers";
import { BASE } from "./api";

export interface WsClient {
  messages: any[];
  closed: Promise<{ code: number; reason: string }>;
}

/** Opens `/v1/runs/:id/stream` with the given query and headers. */
export async function openStream(
  runId: string,
  opts: { query?: string; key?: string | null; headers?: Record<string, string> } = {},
): Promise<{ status: number; client: WsClient | null; body: any }> {
  const headers = new Headers({ upgrade: "websocket", ...(opts.headers ?? {}) });
  if (opts.key !== null) headers.set("authorization", `Bearer ${opts.key ?? "ec_dev_key"}`);
  const res = await exports.default.fetch(new Request(`${BASE}/v1/runs/${runId}/stream${opts.query ?? ""}`, { headers }));
  const ws = res.webSocket;
  if (!ws) return { status: res.status, client: null, body: await res.json().catch(() => null) };
  const messages: any[] = [];
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.addEventListener("close", (e) => resolve({ code: e.code, reason: e.reason }));
  });
  ws.addEventListener("message", (e) => {
    messages.push(JSON.parse(e.data as string));
  });
  ws.accept();
  return { status: res.status, client: { messages, closed }, body: null };
}

/**
 * The first message of `client` of type `type`, waiting for it up to `timeoutMs` (default 10 s):
 * a broadcast reaches the socket a moment after the run's state shows the change.
 */
export async function receivedEvent(client: WsClient, type: string, timeoutMs = 10_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = client.messages.find((e) => e.type === type);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no ${type} message on the stream within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Reads an SSE response to its end and parses its frames (`id` null for a frame without one). */
export async function readSse(res: Response): Promise<{ id: number | null; event: string; data: any }[]> {
  const text = await res.text();
  const frames: { id: number | null; event: string; data: any }[] = [];
  for (const block of text.split("\n\n")) {
    const lines = block.split("\n").filter((l) => l && !l.startsWith(":"));
    if (lines.length === 0) continue;
    const get = (k: string) => lines.find((l) => l.startsWith(`${k}: `))?.slice(k.length + 2) ?? "";
    const id = get("id");
    frames.push({ id: id === "" ? null : Number(id), event: get("event"), data: JSON.parse(get("data")) });
  }
  return frames;
}
