// The live event stream through the clients a consumer would use: the `eventsource` and `ws` npm
// packages against the real Worker under wrangler's local runtime.

import { EventSource } from "eventsource";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import type { LocalWorker } from "../support/local-worker";
import { client, startWorker, WORKER_ADMIN, WORKER_KEY } from "../support/local-worker";

let worker: LocalWorker;
/** Three tenants, created before the tests (the first requests to a cold local Worker are slow). */
let tenants: { key: string; api: Api }[];

beforeAll(async () => {
  // Development with the scripted model, and a signing secret so the admin API can issue keys.
  worker = await startWorker("wrangler.toml", {
    ENVIRONMENT: "development",
    ADMIN_TOKEN: WORKER_ADMIN,
    DEV_API_KEY: WORKER_KEY,
    MODEL_PROVIDER: "scripted",
    AUTH_SIGNING_SECRET: "event-stream-test-signing-secret-0123456789",
  });
  tenants = [await tenant(), await tenant(), await tenant()];
}, 120_000);

afterAll(async () => {
  await worker?.stop();
});

type Api = ReturnType<typeof client>;

/** A new tenant's key and a client using it, through the admin API. */
async function tenant(): Promise<{ key: string; api: Api }> {
  const admin = client(worker.origin, WORKER_ADMIN);
  const id = `t-${crypto.randomUUID().slice(0, 8)}`;
  const created = await admin.call("/v1/admin/tenants", { method: "POST", json: { id, name: id, credits: 1000 } });
  expect(created.status).toBe(201);
  const issued = await admin.call(`/v1/admin/tenants/${id}/keys`, { method: "POST" });
  expect(issued.status).toBe(201);
  const key = (await issued.json()) as { key: string };
  return { key: key.key, api: client(worker.origin, key.key) };
}

async function emitting(api: Api, types: string[]): Promise<string> {
  const input = types.map((type, n) => `- ${type} !tool emit_event ${JSON.stringify({ type, data: { n } })}`).join("\n");
  const run = await api.createRun({ agent: "general", input });
  expect((await api.waitForRun(run.id)).status).toBe("succeeded");
  return run.id;
}

async function until(ok: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen in time`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The global fetch with the key's Authorization header, for EventSource. */
const authorized = (key: string) => (input: string | URL, init?: RequestInit) =>
  fetch(input, { ...init, headers: { ...(init?.headers as Record<string, string>), authorization: `Bearer ${key}` } });

/** A `ws` client of the stream collecting the events it receives. */
function openWs(key: string, query: string) {
  const messages: any[] = [];
  const ws = new WebSocket(`${worker.origin.replace("http", "ws")}/v1/events/stream${query}`, {
    headers: { authorization: `Bearer ${key}` },
  });
  ws.on("message", (m) => messages.push(JSON.parse(String(m))));
  const opened = new Promise((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", reject);
  });
  return { ws, messages, opened };
}

describe("the live event stream with real clients", () => {
  it("eventsource: replays after the cursor and receives live events of its topics", async () => {
    const { key, api } = tenants[0]!;
    await emitting(api, ["order.created", "order.paid"]);
    const log = await api.getJson("/v1/events");
    const received: { type: string; data: any; id: string }[] = [];
    // Past the audit entries of the tenant's creation: the run's events.
    const own = log.events.filter((e: any) => e.topic !== "audit.trail");
    expect(own.map((e: any) => e.type)).toEqual(["order.created", "order.paid", "run.succeeded"]);
    const es = new EventSource(`${worker.origin}/v1/events/stream?after=${own[0].seq}&topic=domain.orders`, {
      fetch: authorized(key),
    });
    for (const type of ["order.paid", "order.refunded"])
      es.addEventListener(type, (e) => received.push({ type, data: JSON.parse(e.data), id: e.lastEventId }));
    await until(() => received.length >= 1, "the replay");
    await emitting(api, ["lead.qualified", "order.refunded"]);
    await until(() => received.some((r) => r.type === "order.refunded"), "the live event");
    expect(received.map((r) => [r.type, r.data.topic])).toEqual([
      ["order.paid", "domain.orders"],
      ["order.refunded", "domain.orders"],
    ]);
    expect(received[0]!.id).toBe(String(own[1].seq));
    expect(es.readyState).toBe(EventSource.OPEN);
    es.close();
  });

  it("ws: replays, receives live events, and another tenant's socket sees none of them", async () => {
    const [, a, b] = tenants as [unknown, { key: string; api: Api }, { key: string; api: Api }];
    await emitting(a.api, ["order.created"]);
    const sa = openWs(a.key, "?after=0");
    const sb = openWs(b.key, "");
    await Promise.all([sa.opened, sb.opened]);
    // The replay from 0 starts with the audit entries of the tenant's creation.
    const domainOf = (messages: any[]) => messages.filter((m) => m.topic !== "audit.trail");
    await until(() => domainOf(sa.messages).length >= 2, "a's replay");
    expect(domainOf(sa.messages).map((m) => m.type)).toEqual(["order.created", "run.succeeded"]);
    const second = await emitting(a.api, ["content.publish"]);
    await until(() => domainOf(sa.messages).length >= 4, "a's live events");
    expect(
      domainOf(sa.messages)
        .slice(2)
        .map((m) => [m.type, m.run_id]),
    ).toEqual([
      ["content.publish", second],
      ["run.succeeded", second],
    ]);
    const own = await emitting(b.api, ["lead.qualified"]);
    await until(() => domainOf(sb.messages).length >= 2, "b's own events");
    expect(domainOf(sb.messages).map((m) => [m.type, m.run_id])).toEqual([
      ["lead.qualified", own],
      ["run.succeeded", own],
    ]);
    const audit = (await b.api.getJson("/v1/events?topic=audit.trail")).events.map((e: any) => e.id);
    expect(sb.messages.filter((m) => m.topic === "audit.trail").map((m) => m.id)).toEqual(audit);
    expect(sa.ws.readyState).toBe(WebSocket.OPEN);
    sa.ws.close();
    sb.ws.close();
  });
});
