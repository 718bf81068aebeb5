// GET /v1/runs ordering and paging: newest first by creation time (ties by id), pages that neither
// repeat nor skip runs, and cursors of earlier versions still accepted.

import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { newId } from "../../src/domain/ids";
import { RUN_STATUSES, type RunStatus } from "../../src/domain/types";
import { TenantStore } from "../../src/tenant/store";
import { api, createRun, json, newTenant } from "../helpers/api";

/** A run id whose embedded time is `ms` (ids are time-ordered to the millisecond). */
function idAt(ms: number): string {
  return `run_${ms.toString(36).padStart(9, "0")}${newId("x").slice(-12)}`;
}

/**
 * Indexes runs the way concurrent creations leave them: each id's time comes from the API
 * request, created_at from when the tenant object took the run, so the two orders disagree.
 */
async function indexRuns(tenantId: string, runs: { id: string; created_at: number; agent?: string; status?: RunStatus }[]): Promise<void> {
  await runInDurableObject(env.TENANTS.get(env.TENANTS.idFromName(tenantId)), (_obj, state) => {
    const store = new TenantStore(state.storage.sql);
    for (const r of runs) {
      store.indexRun({
        id: r.id,
        agent: r.agent ?? "general",
        status: r.status ?? "succeeded",
        priority: "normal",
        created_at: r.created_at,
        reserved: 10,
        metadata: null,
        webhook_url: null,
      });
    }
  });
}

async function allPages(key: string, query: string, limit: number): Promise<{ ids: string[]; pages: number; runs: any[] }> {
  const runs: any[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const page: any = await json(api(`/v1/runs?limit=${limit}${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`, { key }));
    runs.push(...page.runs);
    cursor = page.next_cursor;
    pages++;
  } while (cursor);
  return { ids: runs.map((r) => r.id), pages, runs };
}

const newestFirst = (a: { id: string; created_at: number }, b: { id: string; created_at: number }) =>
  b.created_at - a.created_at || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

describe("GET /v1/runs", () => {
  it("GET /v1/runs is newest first by creation time, ties by id, across pages", async () => {
    const t = await newTenant(1000);
    const base = Date.now() - 60_000;
    // Ids minted in one order, taken by the tenant in the reverse one; some in the same millisecond.
    const runs = Array.from({ length: 23 }, (_, i) => ({ id: idAt(base + i), created_at: base + 1000 - Math.floor(i / 3) }));
    await indexRuns(t.id, runs);
    const expected = [...runs].sort(newestFirst).map((r) => r.id);
    expect(expected).not.toEqual(
      [...runs]
        .map((r) => r.id)
        .sort()
        .reverse(),
    );

    const { ids, pages, runs: listed } = await allPages(t.key, "", 5);
    expect(ids).toEqual(expected);
    expect(pages).toBe(5);
    const times = listed.map((r) => Date.parse(r.created_at));
    expect(times).toEqual([...times].sort((a, b) => b - a));
  });

  it("a cursor stays put when newer runs are created between pages", async () => {
    const t = await newTenant(1000);
    const base = Date.now() - 60_000;
    const runs = Array.from({ length: 6 }, (_, i) => ({ id: idAt(base + 10 - i), created_at: base + i }));
    await indexRuns(t.id, runs);
    const first = await json(api("/v1/runs?limit=3", { key: t.key }));
    await createRun({ agent: "general", input: "a newer run" }, t.key);
    const second = await json(api(`/v1/runs?limit=3&cursor=${encodeURIComponent(first.next_cursor)}`, { key: t.key }));
    const expected = [...runs].sort(newestFirst).map((r) => r.id);
    expect([...first.runs, ...second.runs].map((r: any) => r.id)).toEqual(expected);
    expect(second.next_cursor).toBeNull();
  });

  it("runs of every status are listed newest first across pages, and each page reads indexes only", async () => {
    const t = await newTenant(1000);
    const base = Date.now() - 60_000;
    // Statuses interleaved in time, some runs of a status in the same millisecond as another's.
    const runs = Array.from({ length: 31 }, (_, i) => ({
      id: idAt(base + i),
      created_at: base + 1000 - Math.floor(i / 2),
      status: RUN_STATUSES[(i * 5) % RUN_STATUSES.length]!,
    }));
    await indexRuns(t.id, runs);
    const expected = [...runs].sort(newestFirst);
    for (const limit of [1, 4, 7, 50]) {
      const { ids, runs: listed } = await allPages(t.key, "", limit);
      expect(ids, `pages of ${limit}`).toEqual(expected.map((r) => r.id));
      expect(listed.map((r: any) => r.status)).toEqual(expected.map((r) => r.status));
    }
    const plans = await runInDurableObject(env.TENANTS.get(env.TENANTS.idFromName(t.id)), (_obj, state) =>
      [
        "SELECT * FROM runs WHERE status = ? ORDER BY created_at DESC, id DESC LIMIT ?",
        "SELECT * FROM runs WHERE (created_at, id) < (?, ?) AND status = ? ORDER BY created_at DESC, id DESC LIMIT ?",
      ].map((q) =>
        state.storage.sql
          .exec(`EXPLAIN QUERY PLAN ${q}`, ...Array(q.split("?").length - 1).fill(1))
          .toArray()
          .map((r) => r.detail as string)
          .join("; "),
      ),
    );
    for (const plan of plans) {
      expect(plan).toMatch(/USING INDEX runs_status_created/);
      expect(plan).not.toMatch(/TEMP B-TREE|SCAN runs/);
    }
  });

  it("filters by agent and status keep the same order", async () => {
    const t = await newTenant(1000);
    const base = Date.now() - 60_000;
    const runs = Array.from({ length: 8 }, (_, i) => ({
      id: idAt(base + i),
      created_at: base + 100 - (i % 4),
      agent: i % 2 === 0 ? "support" : "general",
    }));
    await indexRuns(t.id, runs);
    const support = runs.filter((r) => r.agent === "support").sort(newestFirst);
    expect((await allPages(t.key, "&agent=support&status=succeeded", 3)).ids).toEqual(support.map((r) => r.id));
  });

  it("a run id given as the cursor, as earlier versions handed out, continues after that run", async () => {
    const t = await newTenant(1000);
    const base = Date.now() - 60_000;
    const runs = Array.from({ length: 4 }, (_, i) => ({ id: idAt(base + 10 - i), created_at: base + i }));
    await indexRuns(t.id, runs);
    const sorted = [...runs].sort(newestFirst);
    const page = await json(api(`/v1/runs?cursor=${sorted[1]!.id}`, { key: t.key }));
    expect(page.runs.map((r: any) => r.id)).toEqual(sorted.slice(2).map((r) => r.id));
  });

  it("a malformed cursor is a 400 naming the field", async () => {
    const t = await newTenant(1000);
    const res = await api("/v1/runs?cursor=123.nope", { key: t.key });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: { code: "invalid_request", message: "cursor is not valid", details: { field: "cursor" } } });
  });
});
