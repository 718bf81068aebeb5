// The domain event log's writes: an event with a dedup key is named by it and written once (also
// when a row written before names it only in its dedup column), and what an event costs in rows.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { migrate } from "../../src/storage/migrations";
import { countRows } from "../../src/storage/row-counter";
import { dedupId, EVENTS_SCHEMA, EventsStore } from "../../src/tenant/events-store";

const RUN = "run_0000000000000000000009";
const succeeded = { type: "run.succeeded", run_id: RUN, agent: "general", data: { status: "succeeded" }, dedup: `${RUN}:1:succeeded` };

/** Runs `fn` over an event log of `steps` steps in a new object of its own. */
function withLog<T>(steps: number, fn: (sql: SqlStorage, storage: DurableObjectStorage) => T): Promise<T> {
  const stub = env.METRICS.get(env.METRICS.idFromName(`events-${crypto.randomUUID()}`));
  return runInDurableObject(stub, (_obj, state) => {
    migrate(state.storage, [{ ...EVENTS_SCHEMA, steps: EVENTS_SCHEMA.steps.slice(0, steps) }]);
    return fn(state.storage.sql, state.storage);
  });
}

describe("domain event log", () => {
  it("names an event by its dedup key and writes it once, in 3 rows (the row, its id and topic index entries)", async () => {
    const out = await withLog(EVENTS_SCHEMA.steps.length, (sql) => {
      const counter = countRows(sql);
      const log = new EventsStore(counter.sql);
      const first = counter.measure(() => log.append(succeeded, 1)).rows;
      const again = counter.measure(() => log.append({ ...succeeded, data: { other: true } }, 2));
      const plain = counter.measure(() => log.append({ ...succeeded, dedup: null }, 3));
      return { first, again: again.rows, same: again.result, plain: plain.result.id, list: log.list(0, 10).events.map((e) => e.id) };
    });
    expect(out.first).toBe(3);
    expect(out.again).toBe(0);
    expect(out.same).toMatchObject({ id: `evt_${RUN}.1.succeeded`, data: { status: "succeeded" } });
    expect(out.plain).toMatch(/^evt_[0-9a-z]{21}$/);
    expect(out.list).toEqual([`evt_${RUN}.1.succeeded`, out.plain]);
  });

  it("finds an event written before step 4 by its dedup column, and does not write it again", async () => {
    const out = await withLog(3, (sql, storage) => {
      sql.exec(
        "INSERT INTO domain_events (id, dedup, type, topic, run_id, agent, data, created_at) VALUES ('evt_0mx5dtrlj62sh6pdja6ps', ?, 'run.succeeded', 'ai.completions', ?, 'general', '{}', 1)",
        succeeded.dedup,
        RUN,
      );
      migrate(storage, [EVENTS_SCHEMA]);
      const log = new EventsStore(sql);
      const seen = log.append(succeeded, 2);
      const plan = sql
        .exec("EXPLAIN QUERY PLAN SELECT * FROM domain_events WHERE id = ? OR dedup = ? LIMIT 1", "x", "y")
        .toArray()
        .map((r) => r.detail as string);
      return { seen: seen.id, count: sql.exec("SELECT count(*) AS n FROM domain_events").one().n, plan };
    });
    expect(out.seen).toBe("evt_0mx5dtrlj62sh6pdja6ps");
    expect(out.count).toBe(1);
    // Both halves of the lookup read an index; none scans the log.
    expect(out.plan.join("\n")).not.toMatch(/SCAN domain_events/);
    expect(out.plan.join("\n")).toMatch(/domain_events_dedup/);
  });

  it("refuses a dedup key that is not words joined by ':'", () => {
    expect(dedupId("apr_1:requested")).toBe("evt_apr_1.requested");
    expect(() => dedupId("a b")).toThrow(/dedup key/);
    expect(() => dedupId("a.b")).toThrow(/dedup key/);
  });
});
