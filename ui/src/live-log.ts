// A run's log, live: a WebSocket opened with a single-use stream ticket replays the events after
// the last `seq` seen, then streams new ones; a dropped connection reconnects with a new ticket from
// that `seq`, so nothing is missed or shown twice. The server closes with 1000 after the final event.
import { useEffect, useState } from "preact/hooks";
import { api } from "./api/endpoints";
import type { LogEvent } from "./api/types";

export type LogState = "connecting" | "live" | "reconnecting" | "done";

export interface LiveLog {
  events: LogEvent[];
  state: LogState;
  error: string | null;
}

const PING_MS = 25_000;
const MAX_BACKOFF_MS = 5_000;

function streamUrl(runId: string, ticket: string, after: number): string {
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  const q = new URLSearchParams({ after: String(after), ticket });
  return `${proto}//${location.host}/v1/runs/${encodeURIComponent(runId)}/stream?${q}`;
}

export function useLiveLog(runId: string): LiveLog {
  const [log, setLog] = useState<LiveLog>({ events: [], state: "connecting", error: null });

  useEffect(() => {
    let disposed = false;
    let lastSeq = 0;
    let failures = 0;
    let socket: WebSocket | null = null;
    let ping: ReturnType<typeof setInterval> | undefined;
    let retry: ReturnType<typeof setTimeout> | undefined;
    setLog({ events: [], state: "connecting", error: null });

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
        const event = JSON.parse(msg.data) as LogEvent;
        if (event.seq <= lastSeq) return;
        lastSeq = event.seq;
        setLog((l) => ({ ...l, events: [...l.events, event] }));
      };
      ws.onclose = (close) => {
        clearInterval(ping);
        if (disposed) return;
        if (close.code === 1000) setLog((l) => ({ ...l, state: "done", error: null }));
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
