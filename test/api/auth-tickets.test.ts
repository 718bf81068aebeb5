// Stream tickets: signed by the Worker (run, tenant, expiry, nonce), checked by the Worker before the
// run's object is asked; the object lets each ticket open one stream.

import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { importSigningKey } from "../../src/domain/mac";
import { signTicket } from "../../src/domain/stream-ticket";
import { api, createRun, json, newTenant, waitForRun } from "../helpers/api";
import { openStream } from "../helpers/ws";

async function ticketFor(runId: string, key?: string): Promise<{ ticket: string; expires_at: string }> {
  const res = await api(`/v1/runs/${runId}/stream-ticket`, { method: "POST", key });
  expect(res.status).toBe(201);
  return json(res);
}

/** Opens the stream by ticket from a client address of its own (the failed-auth limit is per client). */
function openWithTicket(runId: string, ticket: string) {
  const [a, b] = crypto.getRandomValues(new Uint8Array(2));
  return openStream(runId, {
    query: `?ticket=${encodeURIComponent(ticket)}`,
    key: null,
    headers: { "cf-connecting-ip": `192.0.${a}.${b}` },
  });
}

describe("stream tickets", () => {
  it("a ticket names its run, is valid 60 s and opens the stream once", async () => {
    const run = await createRun({ agent: "general", input: "one step" });
    await waitForRun(run.id);
    const before = Date.now();
    const t = await ticketFor(run.id);
    expect(Object.keys(t).sort()).toEqual(["expires_at", "ticket"]);
    expect(t.ticket.startsWith(`tk.${run.id}.dev.`)).toBe(true);
    const expires = Date.parse(t.expires_at);
    expect(expires).toBeGreaterThan(before);
    expect(expires).toBeLessThanOrEqual(Date.now() + 60_000);

    const first = await openWithTicket(run.id, t.ticket);
    expect(first.status).toBe(101);
    const closed = await first.client!.closed;
    expect(closed.code).toBe(1000);
    expect(first.client!.messages.at(-1).type).toBe("run.succeeded");

    const again = await openWithTicket(run.id, t.ticket);
    expect(again.status).toBe(401);
    expect(again.body.error).toEqual({ code: "unauthorized", message: "stream ticket was already used or has expired" });
  });

  it("a forged, an expired or another run's ticket gets 401 from the Worker, and the real ticket still works after them", async () => {
    const a = await createRun({ agent: "general", input: "one step" });
    const b = await createRun({ agent: "general", input: "one step" });
    await waitForRun(a.id);
    const t = await ticketFor(a.id);
    const [, runId, tenant, expiresAt, nonce, mac] = t.ticket.split(".");
    const forgedMac = `tk.${runId}.${tenant}.${expiresAt}.${nonce}.${mac!.replace(/^./, (ch) => (ch === "0" ? "1" : "0"))}`;
    const longer = `tk.${runId}.${tenant}.${Number(expiresAt) + 3_600_000}.${nonce}.${mac}`;
    const key = await importSigningKey(env.AUTH_SIGNING_SECRET);
    const expired = await signTicket(key, { runId: a.id, tenant: "dev", expiresAt: Date.now() - 1000, nonce: nonce! });

    const cases: Array<[string, string, string, string]> = [
      ["forged MAC", a.id, forgedMac, "stream ticket is not valid"],
      ["expiry moved", a.id, longer, "stream ticket is not valid"],
      ["not a ticket", a.id, "tk_nope", "stream ticket is not valid"],
      ["expired", a.id, expired, "stream ticket has expired"],
      ["another run", b.id, t.ticket, "stream ticket is for another run"],
    ];
    for (const [label, id, ticket, message] of cases) {
      const res = await openWithTicket(id, ticket);
      expect(res.status, label).toBe(401);
      expect(res.body.error, label).toEqual({ code: "unauthorized", message });
    }
    // None of those reached the run: its nonce is still unused.
    expect((await openWithTicket(a.id, t.ticket)).status).toBe(101);
  });

  it("another tenant gets 404 for a ticket or a stream of a run not theirs", async () => {
    const run = await createRun({ agent: "general", input: "one step" });
    const other = await newTenant(1);
    const ticket = await api(`/v1/runs/${run.id}/stream-ticket`, { method: "POST", key: other.key });
    expect(ticket.status).toBe(404);
    expect((await json(ticket)).error.code).toBe("not_found");
    const stream = await openStream(run.id, { key: other.key });
    expect(stream.status).toBe(404);
    expect(stream.body.error.code).toBe("not_found");
  });
});
