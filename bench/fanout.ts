// Fan-out of one run's live stream to many subscribers: N WebSockets (the `ws` package) follow one
// run with `?progress=true`; for every message each receives, the time from when it was made (a
// progress note's `at`, an event's `ts`) to its receipt. The run waits for an approval first, so
// every subscriber is connected before the measured work starts.

import WebSocket from "ws";
import type { Endpoint } from "../test/support/local-worker";
import { call, pollUntil } from "./http";
import { percentile } from "./stats";

export interface FanoutResult {
  subscribers: number;
  /** Progress notes per subscriber, and their latency (ms) over all subscribers. */
  notes: number;
  noteMs: number[];
  /** Durable events per subscriber (live ones only: those made after the approval), and their latency. */
  events: number;
  eventMs: number[];
  /** Subscribers that saw every note and every event of the run. */
  complete: number;
  /** Whether the subscribers connected to the Worker itself rather than through wrangler's proxy. */
  direct: boolean;
}

const STEPS = 5;
const input = [
  "- wait for the start !approve",
  ...Array.from({ length: STEPS }, (_, i) => `- step ${i + 2} !tool memory_set {"key":"k${i}","value":"v${i}"}`),
].join("\n");

interface Received {
  notes: number[];
  events: { seq: number; latency: number }[];
}

function subscribe(at: Endpoint, key: string, runId: string): Promise<{ got: Received; closed: Promise<void> }> {
  const url = `${at.origin.replace(/^http/, "ws")}/v1/runs/${runId}/stream?progress=true`;
  // No permessage-deflate: `ws` inflates at most 10 messages at a time per process, so with 100
  // sockets in one process the clients' decompression queue, not the server, would be measured.
  const ws = new WebSocket(url, { headers: { ...at.headers, authorization: `Bearer ${key}` }, perMessageDeflate: false });
  const got: Received = { notes: [], events: [] };
  let approvedAt = Number.POSITIVE_INFINITY;
  ws.on("message", (data) => {
    const now = Date.now();
    const m = JSON.parse(String(data)) as { type: string; at?: number; seq?: number; ts?: string };
    if (m.type === "progress" && typeof m.at === "number") got.notes.push(now - m.at);
    else if (typeof m.seq === "number" && m.ts) {
      const made = Date.parse(m.ts);
      if (m.type === "approval.decided") approvedAt = made;
      if (made >= approvedAt) got.events.push({ seq: m.seq, latency: now - made });
    }
  });
  const closed = new Promise<void>((resolve) => ws.once("close", () => resolve()));
  return new Promise((resolve, reject) => {
    ws.once("open", () => resolve({ got, closed }));
    ws.once("error", reject);
  });
}

/**
 * Follows one run with `subscribers` WebSockets and measures what reaches them. The run is created
 * and approved through `origin`; the subscribers connect to `streams` (default: `origin`).
 */
export async function measureFanout(
  origin: string,
  key: string,
  subscribers: number,
  streams: Endpoint = { origin, headers: {} },
): Promise<FanoutResult> {
  const run = await call<{ id: string }>(origin, "/v1/runs", { token: key, body: { agent: "general", input } });
  const waiting = await pollUntil(
    () => call<{ status: string; approvals: { id: string }[] }>(origin, `/v1/runs/${run.id}`, { token: key }),
    (r) => r.status === "awaiting_approval",
    50,
    Date.now() + 60_000,
  );
  if (waiting.timedOut || !waiting.value) throw new Error(`fan-out run ${run.id} never waited for its approval`);
  const subs = await Promise.all(Array.from({ length: subscribers }, () => subscribe(streams, key, run.id)));
  await call(origin, `/v1/approvals/${waiting.value.approvals[0]!.id}`, { token: key, body: { decision: "approve" } });
  const allClosed = Promise.all(subs.map((s) => s.closed));
  const timeout = new Promise<never>((_, reject) =>
    setTimeout(() => reject(new Error("fan-out run did not finish in 60 s")), 60_000).unref(),
  );
  await Promise.race([allClosed, timeout]);
  const notes = Math.max(...subs.map((s) => s.got.notes.length));
  const events = Math.max(...subs.map((s) => s.got.events.length));
  return {
    subscribers,
    direct: streams.origin !== origin,
    notes,
    noteMs: subs.flatMap((s) => s.got.notes),
    events,
    eventMs: subs.flatMap((s) => s.got.events.map((e) => e.latency)),
    complete: subs.filter((s) => s.got.notes.length === notes && s.got.events.length === events).length,
  };
}

/** The fan-out figures as report lines. */
export function fanoutLines(f: FanoutResult): string[] {
  const row = (label: string, v: number[]) =>
    `  ${label.padEnd(34)} p50 ${percentile(v, 50).toFixed(0).padStart(4)}  p95 ${percentile(v, 95).toFixed(0).padStart(4)}  p99 ${percentile(v, 99).toFixed(0).padStart(4)}  max ${Math.max(
      ...v,
    )
      .toFixed(0)
      .padStart(4)} ms`;
  return [
    `Fan-out: one run followed by ${f.subscribers} WebSocket subscribers with ?progress=true (${f.complete}/${f.subscribers} received everything),`,
    `  connected ${f.direct ? "to the Worker itself (not through wrangler's development proxy)" : "through wrangler's development proxy"}`,
    row(`progress note → receipt (${f.notes} notes)`, f.noteMs),
    row(`event commit → receipt (${f.events} events)`, f.eventMs),
    `  target: progress notes p99 < 50 ms`,
  ];
}
