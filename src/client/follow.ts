// follow(): a run's events live, in order, each once. One connection at a time (WebSocket with a
// stream ticket, or SSE over fetch); when it drops, the next one resumes after the last seq seen,
// and a gap (never expected from the server) is filled from the JSON log before going on. It ends
// when the stream closes after a final event.

import { EdgecrewError } from "./errors";
import { FINAL_EVENT_TYPES, type ProgressNote, type RunEvent, readSse, readWebSocket, type WebSocketConstructor } from "./events";

export interface FollowOptions {
  /** Start after this seq (default 0: from the first event). */
  after?: number;
  signal?: AbortSignal;
  /** `websocket`, `sse`, or `auto` (default): WebSocket when one is available, else SSE. */
  transport?: "auto" | "websocket" | "sse";
  /** Reconnects in a row that bring no new event before giving up (default 8). */
  maxReconnects?: number;
  /** Called before each reconnect, with the seq it resumes after and why the last connection ended. */
  onReconnect?: (info: { after: number; attempt: number; reason: string }) => void;
  /**
   * Asks the stream for live progress notes (`progress=true`) and hands each to this callback as it
   * arrives; they are not yielded (they have no `seq` and are never replayed).
   */
  onProgress?: (note: ProgressNote) => void;
}

/** What follow needs from the client: authenticated requests and, optionally, a WebSocket. */
export interface FollowConnector {
  /**
   * Opens the run's SSE log after `after` (the authenticated fetch; non-2xx throws EdgecrewError),
   * with progress notes when `progress` is true.
   */
  openSse(runId: string, after: number, signal?: AbortSignal, progress?: boolean): Promise<Response>;
  /** A WebSocket URL for the run's stream after `after` (with progress notes when `progress`), authorised by a fresh single-use ticket. */
  webSocketUrl(runId: string, after: number, progress?: boolean): Promise<string>;
  /** One page of the JSON log after `after`. */
  logs(runId: string, after: number, limit: number): Promise<{ events: RunEvent[] }>;
  WebSocket: WebSocketConstructor | undefined;
}

/** Yields the events of run `runId` after `options.after`, live, and ends with the run's final event. */
export async function* follow(connector: FollowConnector, runId: string, options: FollowOptions = {}): AsyncGenerator<RunEvent> {
  let last = options.after ?? 0;
  const maxReconnects = options.maxReconnects ?? 8;
  const useWebSocket = options.transport !== "sse" && connector.WebSocket !== undefined;
  if (options.transport === "websocket" && connector.WebSocket === undefined)
    throw new TypeError("no WebSocket available: pass one as the WebSocket option, or follow over SSE");
  let idle = 0;
  // The last event seen was a final one. A retried run has several in its log, so the end is the
  // server closing the stream after a final event (it does, once the run is final), not the
  // final event itself.
  let ended = false;
  for (;;) {
    let reason = "the connection closed before the final event";
    let progressed = false;
    try {
      const stream = useWebSocket
        ? webSocketEvents(connector, runId, last, options.signal, options.onProgress)
        : sseEvents(connector, runId, last, options.signal, options.onProgress);
      for await (const event of stream) {
        if (event === "finished") return;
        if (event.seq <= last) continue;
        if (event.seq > last + 1) {
          for (const missing of await fill(connector, runId, last, event.seq)) {
            yield missing;
            last = missing.seq;
            ended = FINAL_EVENT_TYPES.has(missing.type);
          }
        }
        yield event;
        last = event.seq;
        progressed = true;
        ended = FINAL_EVENT_TYPES.has(event.type);
      }
    } catch (e) {
      if (options.signal?.aborted) throw e;
      // The API's own refusals (unknown run, bad key) will not change by retrying.
      if (e instanceof EdgecrewError && e.status >= 400 && e.status < 500 && e.status !== 429) throw e;
      reason = e instanceof Error ? e.message : String(e);
    }
    if (ended) return;
    if (options.signal?.aborted) return;
    idle = progressed ? 0 : idle + 1;
    if (idle > maxReconnects) {
      throw new EdgecrewError({
        code: "unreachable",
        status: 0,
        message: `following run ${runId} failed after ${maxReconnects} reconnects: ${reason}`,
      });
    }
    options.onReconnect?.({ after: last, attempt: idle, reason });
    await sleep(idle === 0 ? 0 : Math.min(250 * 2 ** (idle - 1), 5000), options.signal);
  }
}

type OnProgress = ((note: ProgressNote) => void) | undefined;

const isProgress = (m: unknown): m is ProgressNote => (m as { type?: unknown } | null)?.type === "progress";

/** Events of one SSE connection; "finished" when the server says there is nothing after `after`. */
async function* sseEvents(
  c: FollowConnector,
  runId: string,
  after: number,
  signal: AbortSignal | undefined,
  onProgress: OnProgress,
): AsyncGenerator<RunEvent | "finished"> {
  const res = await c.openSse(runId, after, signal, onProgress !== undefined);
  // 204: the run is final and `after` is at or past its final event.
  if (res.status === 204 || !res.body) {
    yield "finished";
    return;
  }
  for await (const message of readSse(res.body)) {
    if (message.event === "progress" && isProgress(message.data)) onProgress?.(message.data);
    else yield message.data as RunEvent;
  }
}

async function* webSocketEvents(
  c: FollowConnector,
  runId: string,
  after: number,
  signal: AbortSignal | undefined,
  onProgress: OnProgress,
): AsyncGenerator<RunEvent> {
  const url = await c.webSocketUrl(runId, after, onProgress !== undefined);
  for await (const message of readWebSocket(c.WebSocket!, url, signal)) {
    if (isProgress(message)) onProgress?.(message);
    else yield message as RunEvent;
  }
}

/** The events strictly between `after` and `before`, from the JSON log. */
async function fill(c: FollowConnector, runId: string, after: number, before: number): Promise<RunEvent[]> {
  const out: RunEvent[] = [];
  let cursor = after;
  while (cursor < before - 1) {
    const page = await c.logs(runId, cursor, Math.min(1000, before - 1 - cursor));
    const wanted = page.events.filter((e) => e.seq > cursor && e.seq < before);
    if (wanted.length === 0) break;
    out.push(...wanted);
    cursor = wanted[wanted.length - 1]!.seq;
  }
  return out;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0 || signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done);
  });
}
