// Test helpers for workerd tests: call the Worker's API and wait for runs to settle.

import { exports } from "cloudflare:workers";
import { FINAL_STATUSES } from "../../src/domain/types";
import { checkContract } from "./contract";

export const DEV_KEY = "ec_dev_key";
export const ADMIN = "test-admin-token";
export const BASE = "http://edgecrew.test";

/**
 * Calls the Worker's fetch handler with the dev key unless another Authorization is given. Every
 * answer is checked against the OpenAPI document (status listed, JSON body matching its schema).
 */
export async function api(path: string, init: RequestInit & { json?: unknown; key?: string | null } = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (init.key !== null && !headers.has("authorization")) headers.set("authorization", `Bearer ${init.key ?? DEV_KEY}`);
  let body = init.body;
  if (init.json !== undefined) {
    body = JSON.stringify(init.json);
    if (!headers.has("content-type")) headers.set("content-type", "application/json");
  }
  const method = (init.method ?? "GET").toUpperCase();
  const res = await exports.default.fetch(new Request(`${BASE}${path}`, { ...init, headers, body }));
  await checkContract(method, `${BASE}${path}`, res);
  return res;
}

export async function json<T = any>(res: Response | Promise<Response>): Promise<T> {
  return (await (await res).json()) as T;
}

/** Creates a run and returns its 202 body. */
export async function createRun(body: Record<string, unknown>, key?: string): Promise<any> {
  const res = await api("/v1/runs", { method: "POST", json: body, key });
  if (res.status !== 202) throw new Error(`create failed: ${res.status} ${await res.text()}`);
  return res.json();
}

/** Polls a run until `done(run)` holds (default: a final status) or the timeout passes. */
export async function waitForRun(id: string, opts: { key?: string; timeoutMs?: number; until?: (run: any) => boolean } = {}): Promise<any> {
  const until = opts.until ?? ((r: any) => (FINAL_STATUSES as readonly string[]).includes(r.status));
  const deadline = Date.now() + (opts.timeoutMs ?? 20_000);
  let run: any;
  while (Date.now() < deadline) {
    run = await json(api(`/v1/runs/${id}`, { key: opts.key }));
    if (until(run)) return run;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`run ${id} did not settle in time; last status ${run?.status}`);
}

/** All events of a run via the JSON log endpoint. */
export async function allEvents(id: string, key?: string): Promise<any[]> {
  const out: any[] = [];
  let after = 0;
  for (;;) {
    const page = await json(api(`/v1/runs/${id}/logs?after=${after}&limit=1000`, { key }));
    out.push(...page.events);
    if (page.events.length < 1000) return out;
    after = page.next_after;
  }
}

/** Creates a tenant with credits and a key through the admin API. */
export async function newTenant(credits = 1000): Promise<{ id: string; key: string; keyId: string }> {
  const id = `t-${crypto.randomUUID().slice(0, 8)}`;
  const created = await api("/v1/admin/tenants", { method: "POST", json: { id, name: `Tenant ${id}`, credits }, key: ADMIN });
  if (created.status !== 201) throw new Error(`tenant: ${created.status} ${await created.text()}`);
  const k = await json(api(`/v1/admin/tenants/${id}/keys`, { method: "POST", key: ADMIN }));
  return { id, key: k.key, keyId: k.id };
}
