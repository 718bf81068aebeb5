// The typed client against the real Worker: typed errors, follow() over WebSocket (with a stream
// ticket) and over SSE, each across server-side connection drops, and the same client under Deno.

import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEdgecrew, EdgecrewError, type ProgressNote, type RunEvent } from "../../src/client/index";
import { buildCli, ROOT, startCliWorker } from "../support/cli";
import { startCuttingProxy } from "../support/cutting-proxy";
import { client, type LocalWorker, WORKER_KEY } from "../support/local-worker";

let worker: LocalWorker;
const slowRun = "- first !slow 300\n- second !slow 300\n- third !slow 300";

/** Each test spawns processes and waits for runs: generous on a loaded machine, never a timing assertion. */
const SLOW = 180_000;

beforeAll(async () => {
  buildCli();
  worker = await startCliWorker();
}, 120_000);
afterAll(async () => {
  await worker?.stop();
});

async function collect(events: AsyncIterable<RunEvent>): Promise<RunEvent[]> {
  const out: RunEvent[] = [];
  for await (const e of events) out.push(e);
  return out;
}

describe("errors", { timeout: SLOW }, () => {
  it("an unknown run is EdgecrewError not_found with status 404", async () => {
    const edgecrew = createEdgecrew({ url: worker.origin, key: WORKER_KEY });
    const error = await edgecrew.runs.get("run_nope").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EdgecrewError);
    expect(error).toMatchObject({ code: "not_found", status: 404, message: "run not found", retryAfter: null });
  });

  it("a schema violation carries the field in details", async () => {
    const edgecrew = createEdgecrew({ url: worker.origin, key: WORKER_KEY });
    const error = await edgecrew.runs.create({ agent: "general", input: "x", priority: "urgent" as never }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "invalid_request", status: 400, details: { field: "priority" } });
  });

  it("a wrong key is unauthorized; no answer at all is unreachable with status 0", async () => {
    const wrong = await createEdgecrew({ url: worker.origin, key: "ec_wrong" })
      .credits.get()
      .catch((e: unknown) => e);
    expect(wrong).toMatchObject({ code: "unauthorized", status: 401 });
    const nowhere = await createEdgecrew({ url: "http://127.0.0.1:9", key: WORKER_KEY })
      .queues()
      .catch((e: unknown) => e);
    expect(nowhere).toMatchObject({ code: "unreachable", status: 0, unreachable: true });
  });
});

describe("follow", { timeout: SLOW }, () => {
  it("over WebSocket with a stream ticket: every event once, in order, across two server-side drops", async () => {
    expect(typeof WebSocket).toBe("function");
    const proxy = await startCuttingProxy(worker.origin, { cuts: 2, afterEvents: 4 });
    try {
      const edgecrew = createEdgecrew({ url: proxy.origin, key: WORKER_KEY });
      const run = await edgecrew.runs.create({ agent: "general", input: slowRun });
      const reconnects: number[] = [];
      const events = await collect(edgecrew.follow(run.id, { transport: "websocket", onReconnect: (r) => reconnects.push(r.after) }));
      expect(proxy.cuts).toBe(2);
      expect(reconnects).toHaveLength(2);
      expect(events).toEqual(await client(worker.origin).events(run.id));
      expect(events.at(-1)?.type).toBe("run.succeeded");
    } finally {
      await proxy.close();
    }
  });

  it("over SSE with fetch only: the same, and `after` skips what was already seen", async () => {
    const proxy = await startCuttingProxy(worker.origin, { cuts: 2, afterEvents: 3 });
    try {
      const edgecrew = createEdgecrew({ url: proxy.origin, key: WORKER_KEY, WebSocket: null });
      const run = await edgecrew.runs.create({ agent: "general", input: slowRun });
      const events = await collect(edgecrew.follow(run.id));
      expect(proxy.cuts).toBe(2);
      const server = await client(worker.origin).events(run.id);
      expect(events).toEqual(server);
      const tail = await collect(edgecrew.follow(run.id, { after: 5 }));
      expect(tail).toEqual(server.slice(5));
    } finally {
      await proxy.close();
    }
  });

  it.each(["websocket", "sse"] as const)(
    "onProgress over %s: the calls in flight reach the callback, and the events yielded are the stored log",
    async (transport) => {
      const edgecrew = createEdgecrew({ url: worker.origin, key: WORKER_KEY, ...(transport === "sse" ? { WebSocket: null } : {}) });
      const run = await edgecrew.runs.create({
        agent: "general",
        input: '- wait here !approve\n- store !tool memory_set {"key":"k","value":"v"}',
      });
      const waiting = await client(worker.origin).waitForRun(run.id, (r) => r.status === "awaiting_approval");
      const notes: ProgressNote[] = [];
      // Approve once the stream is open (its replay has begun), so the next unit is watched.
      let opened: () => void = () => {};
      const open = new Promise<void>((resolve) => {
        opened = resolve;
      });
      const following = (async () => {
        const out: RunEvent[] = [];
        for await (const e of edgecrew.follow(run.id, { transport, onProgress: (n) => notes.push(n) })) {
          out.push(e);
          opened();
        }
        return out;
      })();
      await open;
      const decided = await client(worker.origin).call(`/v1/approvals/${waiting.approvals[0].id}`, {
        method: "POST",
        json: { decision: "approve" },
      });
      expect(decided.status).toBe(200);
      const events = await following;
      expect(events).toEqual(await client(worker.origin).events(run.id));
      expect(notes.filter((n) => n.step === 2).map((n) => `${n.kind}${n.tool ? `:${n.tool}` : ""}`)).toEqual([
        "model.started",
        "model.finished",
        "tool.started:memory_set",
        "tool.finished:memory_set",
        "model.started",
        "model.finished",
      ]);
      expect(notes.every((n) => n.type === "progress" && n.run_id === run.id)).toBe(true);
    },
  );

  it("following a finished run from its last event ends at once; an unknown run throws not_found", async () => {
    const edgecrew = createEdgecrew({ url: worker.origin, key: WORKER_KEY, WebSocket: null });
    const run = await edgecrew.runs.create({ agent: "general", input: "quick" });
    const events = await collect(edgecrew.follow(run.id));
    expect(await collect(edgecrew.follow(run.id, { after: events.at(-1)!.seq }))).toEqual([]);
    await expect(collect(edgecrew.follow("run_nope"))).rejects.toMatchObject({ code: "not_found", status: 404 });
    await expect(collect(createEdgecrew({ url: worker.origin, key: WORKER_KEY }).follow("run_nope"))).rejects.toMatchObject({
      code: "not_found",
    });
  });
});

describe("under Deno", { timeout: SLOW }, () => {
  it("the bundled client creates a run, follows it over Deno's WebSocket and throws typed errors", async () => {
    const deno = join(ROOT, "node_modules/.bin/deno");
    const { stdout } = await promisify(execFile)(
      deno,
      ["run", "--quiet", "--no-prompt", "--allow-net=127.0.0.1", "--allow-env", "--allow-read", join(ROOT, "test/client/deno-follow.mjs")],
      {
        env: { ...process.env, EDGECREW_URL: worker.origin, EDGECREW_API_KEY: WORKER_KEY, DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" },
        timeout: 60_000,
      },
    );
    const report = JSON.parse(stdout);
    expect(report.runtime).toMatch(/^deno \d+\./);
    const server = await client(worker.origin).events(report.run);
    expect(report.events).toEqual(server.map((e: RunEvent) => ({ seq: e.seq, type: e.type })));
    expect(report.events.at(-1).type).toBe("run.succeeded");
    expect(report.error).toEqual({ name: "EdgecrewError", code: "not_found", status: 404, message: "run not found" });
  });
});
