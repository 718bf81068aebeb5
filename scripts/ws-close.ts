// Checks the WebSocket close handshake of a run's stream with a `ws` client against the Worker as
// `npm start` serves it (wrangler's dev server, started in-process): after the final event the
// server closes with 1000, and a client's own close is answered. Prints what the client saw and
// exits 1 when a handshake hung (docs/streams.md says what it shows).
//   npm exec -- tsx scripts/ws-close.ts

import WebSocket from "ws";
import { startWorker } from "../test/support/local-worker";

const DEV_KEY = "ws-close-dev-key";
/** How long a close handshake may take before it counts as hung (ms). */
const HANG_MS = 5000;

interface Seen {
  case: string;
  messages: number;
  closeCode: number | null;
  closeReason: string;
  /** ms from the last message (or the client's close) to the 'close' event; null if it never came. */
  closeAfterMs: number | null;
  stateAfterFinal: string;
}

const STATES = ["CONNECTING", "OPEN", "CLOSING", "CLOSED"];

async function createRun(origin: string, input: string): Promise<string> {
  const res = await fetch(`${origin}/v1/runs`, {
    method: "POST",
    headers: { authorization: `Bearer ${DEV_KEY}`, "content-type": "application/json" },
    body: JSON.stringify({ agent: "general", input }),
  });
  if (res.status !== 202) throw new Error(`creating a run failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { id: string }).id;
}

/** Opens the run's stream; when `closeFirst`, the client closes with 4001 after the first message. */
function watch(origin: string, runId: string, name: string, closeFirst: boolean): Promise<Seen> {
  const url = `${origin.replace(/^http/, "ws")}/v1/runs/${runId}/stream`;
  const ws = new WebSocket(url, { headers: { authorization: `Bearer ${DEV_KEY}` } });
  const seen: Seen = { case: name, messages: 0, closeCode: null, closeReason: "", closeAfterMs: null, stateAfterFinal: "" };
  let mark = 0;
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      seen.stateAfterFinal = STATES[ws.readyState] ?? String(ws.readyState);
      ws.terminate();
      resolve(seen);
    }, 60_000);
    ws.on("message", (data) => {
      seen.messages++;
      mark = Date.now();
      const event = JSON.parse(String(data)) as { type: string };
      if (closeFirst && seen.messages === 1) ws.close(4001, "client leaving");
      if (/^run\.(succeeded|failed|canceled|expired|dead)$/.test(event.type)) {
        setTimeout(() => {
          seen.stateAfterFinal = STATES[ws.readyState] ?? String(ws.readyState);
          if (seen.closeCode === null) {
            clearTimeout(timer);
            ws.terminate();
            resolve(seen);
          }
        }, HANG_MS);
      }
    });
    ws.on("close", (code, reason) => {
      seen.closeCode = code;
      seen.closeReason = reason.toString();
      seen.closeAfterMs = Date.now() - mark;
      seen.stateAfterFinal ||= STATES[ws.readyState] ?? "";
      clearTimeout(timer);
      resolve(seen);
    });
    ws.on("error", (e) => console.error(`${name}: client error`, e.message));
  });
}

const VARS = { ENVIRONMENT: "development", DEV_API_KEY: DEV_KEY, MODEL_PROVIDER: "scripted" };

async function main(): Promise<void> {
  const worker = await startWorker("wrangler.toml", VARS);
  try {
    const results: Seen[] = [];
    const finished = await createRun(worker.origin, "- one !slow 300\n- two !slow 300");
    results.push(await watch(worker.origin, finished, "server closes after the final event", false));
    const leaving = await createRun(worker.origin, "- one !slow 2000");
    results.push(await watch(worker.origin, leaving, "client closes first (4001)", true));
    console.table(results);
    const hung = results.filter((r) => r.closeAfterMs === null || r.closeAfterMs >= HANG_MS);
    if (hung.length > 0) {
      console.error(`close handshake hung in: ${hung.map((r) => r.case).join("; ")}`);
      process.exitCode = 1;
    }
  } finally {
    await worker.stop();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
