// The domain event log: an event with a dedup key is named by it and written once (also when a
// row written before names it only in its dedup column), what an event costs in rows, and reads
// topic by topic, merged in seq order, through the topic index.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Topic } from "../../src/domain/topics";
import { migrate } from "../../src/storage/migrations";
import { countRows } from "../../src/storage/row-counter";
import { dedupId, EVENTS_SCHEMA, EventsStore } from "../../src/tenant/events-store";

const RUN = "run_0000000000000000000009";
const succeeded = { type: "run.succeeded", run_id: RUN, agent: "general", data: { status: "succeeded" }, dedup: `${RUN}:1:succeeded` };

/** SQLite's query plan of `query`, one line per step. */
const plans = (sql: SqlStorage, query: string, ...args: SqlStorageValue[]) =>
  sql
    .exec(`EXPLAIN QUERY PLAN ${query}`, ...args)
    .toArray()
    .map((r) => r.detail as string)
    .join("\n");

/** Runs `fn` over an event log of `steps` steps in a new object of its own. */
function withLog<T>(steps: number, fn: (sql: SqlStorage, storage: DurableObjectStorage) => T): Promise<T> {
  const stub = env.METRICS.get(env.METRICS.idFromName(`events-${crypto.randomUUID()}`));
  return runInDurableObject(stub, (_obj, state) => {
    migrate(state.storage, [{ ...EVENTS_SCHEMA, steps: EVENTS_SCHEMA.steps.slice(0, steps) }]);
    return fn(state.storage.sql, state.storage);
  });
}

describe("domain event log", () => {
  it("names an event by its dedup key and writes it once, in 2 rows (the row, stored by its id, and its topic index entry)", async () => {
    const out = await withLog(EVENTS_SCHEMA.steps.length, (sql) => {
      const counter = countRows(sql);
      const log = new EventsStore(counter.sql);
      const first = counter.measure(() => log.append(succeeded, 1)).rows;
      const again = counter.measure(() => log.append({ ...succeeded, data: { other: true } }, 2));
      const plain = counter.measure(() => log.append({ ...succeeded, dedup: null }, 3));
      return { first, again: again.rows, same: again.result, plain: plain.result.id, list: log.list(0, 10).events.map((e) => e.id) };
    });
    expect(out.first).toBe(2);
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
      const plan = [
        plans(sql, "SELECT * FROM domain_events WHERE id = ?", "x"),
        plans(sql, "SELECT * FROM domain_events WHERE dedup = ?", "y"),
      ];
      return { seen: seen.id, count: sql.exec("SELECT count(*) AS n FROM domain_events").one().n, plan };
    });
    expect(out.seen).toBe("evt_0mx5dtrlj62sh6pdja6ps");
    expect(out.count).toBe(1);
    // Both lookups read an index (the id's is the table's own key); neither scans the log.
    expect(out.plan.join("\n")).not.toMatch(/SCAN/);
    expect(out.plan[0]).toMatch(/PRIMARY KEY/);
    expect(out.plan[1]).toMatch(/domain_events_dedup/);
  });

  it("lists events of every topic, or of some, merged in seq order, a page at a time", async () => {
    const out = await withLog(EVENTS_SCHEMA.steps.length, (sql) => {
      const log = new EventsStore(sql);
      const empty = log.lastSeq();
      const types = ["run.succeeded", "order.created", "run.failed", "audit.key.created", "order.shipped", "run.succeeded", "custom.thing"];
      for (const [i, type] of types.entries()) log.append({ type, run_id: null, agent: null, data: { i }, dedup: null }, i);
      const page = (after: number, limit: number, topics: Topic[] | null = null) => {
        const p = log.list(after, limit, topics);
        return { types: p.events.map((e) => `${e.seq}:${e.type}`), next: p.next_after };
      };
      const list = `SELECT * FROM domain_events WHERE topic = ? AND seq > ? ORDER BY seq LIMIT ?`;
      return {
        empty,
        last: log.lastSeq(),
        all: page(0, 10),
        first: page(0, 3),
        second: page(3, 3),
        end: page(7, 3),
        some: page(1, 10, ["domain.orders", "ai.completions"]),
        plans: [plans(sql, list, "ai.completions", 0, 10), plans(sql, "SELECT MAX(seq) FROM domain_events WHERE topic = ?", "x")],
      };
    });
    expect(out.empty).toBe(0);
    expect(out.last).toBe(7);
    expect(out.all.types).toEqual([
      "1:run.succeeded",
      "2:order.created",
      "3:run.failed",
      "4:audit.key.created",
      "5:order.shipped",
      "6:run.succeeded",
      "7:custom.thing",
    ]);
    expect(out.first).toEqual({ types: ["1:run.succeeded", "2:order.created", "3:run.failed"], next: 3 });
    expect(out.second).toEqual({ types: ["4:audit.key.created", "5:order.shipped", "6:run.succeeded"], next: 6 });
    expect(out.end).toEqual({ types: [], next: 7 });
    expect(out.some).toEqual({ types: ["2:order.created", "5:order.shipped", "6:run.succeeded"], next: 6 });
    // Each topic's page and last seq are read through the topic index; nothing scans the log.
    for (const plan of out.plans) {
      expect(plan).toMatch(/domain_events_topic/);
      expect(plan).not.toMatch(/SCAN|TEMP B-TREE/);
    }
  });

  it("keeps every event, seq and id through step 5, and gives a topic no build names its type's topic", async () => {
    const out = await withLog(4, (sql, storage) => {
      const before = new EventsStore(sql);
      before.append(succeeded, 1);
      before.append({ type: "order.created", run_id: null, agent: null, data: { n: 1 }, dedup: null }, 2);
      // A topic no build names (none does; the merge reads only the topics of TOPICS).
      sql.exec("UPDATE domain_events SET topic = 'domain.unknown' WHERE type = 'order.created'");
      const rows = () => sql.exec("SELECT seq, id, type, data FROM domain_events ORDER BY seq").toArray();
      const kept = rows();
      migrate(storage, [EVENTS_SCHEMA]);
      const log = new EventsStore(sql);
      const next = log.append({ type: "run.failed", run_id: RUN, agent: "general", data: {}, dedup: null }, 3);
      return { kept, after: rows().slice(0, 2), listed: log.list(0, 10).events.map((e) => `${e.seq}:${e.topic}`), next: next.id };
    });
    expect(out.after).toEqual(out.kept);
    expect(out.listed).toEqual(["1:ai.completions", "2:domain.orders", "3:ai.errors"]);
    expect(out.next).toMatch(/^evt_/);
  });

  it("refuses a dedup key that is not words joined by ':'", () => {
    expect(dedupId("apr_1:requested")).toBe("evt_apr_1.requested");
    expect(() => dedupId("a b")).toThrow(/dedup key/);
    expect(() => dedupId("a.b")).toThrow(/dedup key/);
  });
});
