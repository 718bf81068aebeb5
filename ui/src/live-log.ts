// A run's log, live: a WebSocket opened with a single-use stream ticket replays the events after
// the last `seq` seen, then streams new ones; a dropped connection reconnects with a new ticket from
// that `seq`, so nothing is missed or shown twice. The server closes with 1000 after the final event.
// The stream also asks for progress notes: the call in flight is shown until the step's events land.
import { useEffect, useState } from "preact/hooks";
import { api } from "./api/endpoints";
import type { LogEvent, ProgressNote } from "./api/types";

export type LogState = "connecting" | "live" | "reconnecting" | "done";

export interface LiveLog {
  events: LogEvent[];
  state: LogState;
  error: string | null;
  /** The last progress note since the last event (null once an event arrives). */
  now: ProgressNote | null;
}

const PING_MS = 25_000;
const MAX_BACKOFF_MS = 5_000;

function streamUrl(runId: string, ticket: string, after: number): string {
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  const q = new URLSearchParams({ after: String(after), ticket, progress: "true" });
  return `${proto}//${location.host}/v1/runs/${encodeURIComponent(runId)}/stream?${q}`;
}

/** One line for a progress note: what is running (or just finished) in which step. */
export function progressText(p: ProgressNote): string {
  const what = p.kind.startsWith("model") ? `model call ${p.call ?? ""}`.trim() : `tool ${p.tool ?? ""}`.trim();
  const where = p.step === 0 ? "planning" : `step ${p.step}`;
  if (p.kind.endsWith(".started")) return `${where}: ${what} running…`;
  return `${where}: ${what} ${p.ok === false ? "failed" : "finished"} in ${p.ms ?? 0} ms`;
}

export function useLiveLog(runId: string): LiveLog {
  const [log, setLog] = useState<LiveLog>({ events: [], state: "connecting", error: null, now: null });

  useEffect(() => {
    let disposed = false;
    let lastSeq = 0;
    let failures = 0;
    let socket: WebSocket | null = null;
    let ping: ReturnType<typeof setInterval> | undefined;
    let retry: ReturnType<typeof setTimeout> | undefined;
    setLog({ events: [], state: "connecting", error: null, now: null });

    const scheduleReconnect = (error: string | null) => {
      if (disposed) return;
      failures++;
      setLog((l) => ({ ...l, state: "reconnecting", error }));
      retry = setTimeout(() => void connect(), Math.min(MAX_BACKOFF_MS, 250 * 2 ** failures));
    };

    const connect = async () => {
      let ticket: string;
      try {
        ticket = (await api.streamTicket(runId)).ticket;
      } catch (e) {
        scheduleReconnect(e instanceof Error ? e.message : String(e));
        return;
      }
      if (disposed) return;
      const ws = new WebSocket(streamUrl(runId, ticket, lastSeq));
      socket = ws;
      ws.onopen = () => {
        failures = 0;
        setLog((l) => ({ ...l, state: "live", error: null }));
        ping = setInterval(() => ws.readyState === WebSocket.OPEN && ws.send("ping"), PING_MS);
      };
      ws.onmessage = (msg) => {
        if (typeof msg.data !== "string" || msg.data === "pong") return;
        const frame = JSON.parse(msg.data) as LogEvent | ProgressNote;
        if (frame.type === "progress") {
          setLog((l) => ({ ...l, now: frame as ProgressNote }));
          return;
        }
        const event = frame as LogEvent;
        if (event.seq <= lastSeq) return;
        lastSeq = event.seq;
        setLog((l) => ({ ...l, events: [...l.events, event], now: null }));
      };
      ws.onclose = (close) => {
        clearInterval(ping);
        if (disposed) return;
        if (close.code === 1000) setLog((l) => ({ ...l, state: "done", error: null, now: null }));
        else scheduleReconnect(close.reason || null);
      };
    };

    void connect();
    return () => {
      disposed = true;
      clearInterval(ping);
      clearTimeout(retry);
      socket?.close(1000);
    };
  }, [runId]);

  return log;
}
