// Test helpers for webhooks: a fresh echo-server scope, subscribing a tenant to it, a custom agent
// with one tenant HTTP tool on the echo server, and polling until deliveries arrive.

import { expect } from "vitest";
import { api } from "./api";
import { echoUrl, trustSecret } from "./echo";

/** A fresh scope on the echo server, so tests never see each other's requests. */
export const scope = () => `wh-${crypto.randomUUID().slice(0, 8)}`;

/**
 * Subscribes the tenant to `/hook/<s>/webhook<query>` on the echo server and tells the echo
 * server the returned secret. Returns the PUT answer `{ url, events, topics, secret }`.
 */
export async function subscribe(key: string, s: string, events?: string[], query = "", topics?: string[]): Promise<any> {
  const res = await api("/v1/webhooks", {
    method: "PUT",
    key,
    json: { url: `${echoUrl()}/hook/${s}/webhook${query}`, ...(events ? { events } : {}), ...(topics ? { topics } : {}) },
  });
  expect(res.status).toBe(200);
  const body = await res.json<any>();
  expect(body.secret).toMatch(/^whsec_/);
  await trustSecret(s, body.secret);
  return body;
}

/** Saves a custom agent `name` whose one HTTP tool `lookup_order` posts to `/hook/<s>/lookup_order`. */
export async function lookupAgent(key: string, s: string, name = "lookups"): Promise<void> {
  const res = await api(`/v1/agents/${name}`, {
    method: "PUT",
    key,
    json: {
      system_prompt: "You look up orders.",
      http_tools: [
        {
          name: "lookup_order",
          description: "Look up an order",
          input_schema: { type: "object", properties: { order_id: { type: "string" } }, required: ["order_id"] },
          url: `${echoUrl()}/hook/${s}/lookup_order`,
        },
      ],
    },
  });
  expect([200, 201]).toContain(res.status);
}

/** Calls `f` every 200 ms until `ok` holds or `ms` (default 15 000) pass; returns the last value. */
export async function eventually<T>(f: () => Promise<T>, ok: (v: T) => boolean, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  let v = await f();
  while (!ok(v) && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 200));
    v = await f();
  }
  return v;
}

/**
 * Waits until every delivery of the tenant's events is delivered or failed for good, so none is
 * still being retried (and logged) while later test files run.
 */
export async function deliveriesSettled(key: string, ms = 40_000): Promise<void> {
  const settled = (l: any) => l.events.every((e: any) => e.deliveries.every((d: any) => d.status !== "pending"));
  const log = await eventually(async () => (await api("/v1/events?limit=100", { key })).json<any>(), settled, ms);
  expect(settled(log)).toBe(true);
}
