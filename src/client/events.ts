// Run log events as the client sees them, and reading one connection's worth of them from an SSE
// response or a WebSocket (web-standard APIs only: fetch streams, TextDecoderStream, WebSocket).

import { EventSourceParserStream } from "eventsource-parser/stream";
import type { ProgressFrame } from "../domain/progress";

/** One entry of a run's log; `seq` starts at 1 and has no gaps within a run. */
export interface RunEvent {
  seq: number;
  ts: string;
  type: string;
  level: string;
  message: string;
  data?: unknown;
}

/**
 * A live progress note of a model or tool call (streams opened with `progress=true`): it has no
 * `seq`, is never stored and never replayed.
 */
export type ProgressNote = ProgressFrame;

/** Event types that end a run; exactly one of them is the last event of a finished run. */
export const FINAL_EVENT_TYPES: ReadonlySet<string> = new Set(["run.succeeded", "run.failed", "run.canceled", "run.expired", "run.dead"]);

/** The subset of the WebSocket constructor the client uses: browsers', Deno's, Node 22's, or the `ws` package's. */
export type WebSocketConstructor = new (url: string) => WebSocketLike;

export interface WebSocketLike {
  readonly readyState: number;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  close(code?: number, reason?: string): void;
}

/** One SSE message: its `id:` field (null when absent), `event:` type and parsed `data:` JSON. */
export interface SseMessage {
  id: string | null;
  event: string;
  data: unknown;
}

/** Reads an SSE response body until it ends; a dropped connection surfaces as a thrown error. */
export async function* readSse(body: ReadableStream<Uint8Array>): AsyncGenerator<SseMessage> {
  const reader = body
    .pipeThrough(new TextDecoderStream() as TransformStream<Uint8Array, string>)
    .pipeThrough(new EventSourceParserStream())
    .getReader();
  // Cancelled only when the consumer stops early; an ended or failed stream needs nothing more.
  let settled = false;
  try {
    for (;;) {
      const result = await reader.read().catch((e: unknown) => {
        settled = true;
        throw e;
      });
      if (result.done) {
        settled = true;
        return;
      }
      const { value } = result;
      yield { id: value.id ?? null, event: value.event ?? "message", data: JSON.parse(value.data) };
    }
  } finally {
    if (!settled) await reader.cancel();
  }
}

/**
 * Reads the messages of one WebSocket connection until it closes. Text messages are parsed as JSON
 * ("pong" answers to a liveness ping are skipped); an error event ends the read with an error.
 */
export async function* readWebSocket(Ctor: WebSocketConstructor, url: string, signal?: AbortSignal): AsyncGenerator<unknown> {
  const ws = new Ctor(url);
  const queue: unknown[] = [];
  let closed = false;
  let failure: Error | null = null;
  let wake: (() => void) | null = null;
  const notify = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  ws.onmessage = (m) => {
    if (typeof m.data !== "string" || m.data === "pong") return;
    queue.push(JSON.parse(m.data));
    notify();
  };
  ws.onclose = () => {
    closed = true;
    notify();
  };
  ws.onerror = () => {
    failure = new Error("WebSocket connection failed");
    notify();
  };
  const onAbort = () => ws.close(1000, "client stopped");
  signal?.addEventListener("abort", onAbort);
  try {
    for (;;) {
      while (queue.length > 0) yield queue.shift();
      if (failure) throw failure;
      if (closed) return;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  } finally {
    signal?.removeEventListener("abort", onAbort);
    if (ws.readyState <= 1) ws.close(1000, "client done");
  }
}
