// The domain event log: an event with a dedup key is named by it and written once (also when a
// row written before names it only in its dedup column), what an event costs in rows (one, and an
// id index entry only when it must be found by id), and reads topic by topic, merged in seq order,
// through the log's own (topic, seq) key.
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
  it("names an event by its dedup key and writes it once: 2 rows when looked up (the row and its id entry), 1 when fresh", async () => {
    const out = await withLog(EVENTS_SCHEMA.steps.length, (sql) => {
      const counter = countRows(sql);
      const log = new EventsStore(counter.sql);
      const first = counter.measure(() => log.append(succeeded, 1)).rows;
      const again = counter.measure(() => log.append({ ...succeeded, data: { other: true } }, 2));
      const plain = counter.measure(() => log.append({ ...succeeded, dedup: null }, 3));
      const fresh = counter.measure(() => log.append({ ...succeeded, dedup: `${RUN}:2:succeeded` }, 4, { fresh: true }));
      const findable = counter.measure(() => log.append({ ...succeeded, dedup: null }, 5, { findable: true }));
      // Fresh but findable, of a key written findable before: returned, not refused by the id index.
      const twice = counter.measure(() => log.append(succeeded, 6, { fresh: true, findable: true }));
      return {
        rows: [first, again.rows, plain.rows, fresh.rows, findable.rows, twice.rows],
        same: again.result,
        plain: plain.result.id,
        found: [log.get(`evt_${RUN}.1.succeeded`)?.id, log.get(plain.result.id), log.get(fresh.result.id), log.get(findable.result.id)?.id],
        findable: findable.result.id,
        list: log.list(0, 10).events.map((e) => e.id),
      };
    });
    // Looked up by its key (2), the same key again (0), a plain event (1), one its caller knows is
    // new (1), one a webhook delivery will read by id (2), the first key again, fresh and findable (0).
    expect(out.rows).toEqual([2, 0, 1, 1, 2, 0]);
    expect(out.same).toMatchObject({ id: `evt_${RUN}.1.succeeded`, data: { status: "succeeded" } });
    expect(out.plain).toMatch(/^evt_[0-9a-z]{21}$/);
    expect(out.found).toEqual([`evt_${RUN}.1.succeeded`, null, null, out.findable]);
    expect(out.list).toEqual([`evt_${RUN}.1.succeeded`, out.plain, `evt_${RUN}.2.succeeded`, out.findable]);
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
        plans(sql, "SELECT * FROM domain_events WHERE id = ? AND keyed = 1", "x"),
        plans(sql, "SELECT * FROM domain_events WHERE dedup = ?", "y"),
      ];
      return { seen: seen.id, count: sql.exec("SELECT count(*) AS n FROM domain_events").one().n, plan };
    });
    expect(out.seen).toBe("evt_0mx5dtrlj62sh6pdja6ps");
    expect(out.count).toBe(1);
    // Both lookups read an index (the partial id index, the legacy dedup index); neither scans the log.
    expect(out.plan.join("\n")).not.toMatch(/SCAN/);
    expect(out.plan[0]).toMatch(/domain_events_id/);
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
    // Each topic's page and last seq are read through the log's (topic, seq) key; nothing scans it.
    for (const plan of out.plans) {
      expect(plan).toMatch(/PRIMARY KEY/);
      expect(plan).not.toMatch(/SCAN|TEMP B-TREE/);
    }
  });

  it("keeps every event, seq and id through steps 5 and 6, and gives a topic no build names its type's topic", async () => {
    const out = await withLog(4, (sql, storage) => {
      // Written as the build of step 4 wrote them.
      const insert = "INSERT INTO domain_events (seq, id, type, topic, run_id, agent, data, created_at) VALUES (?,?,?,?,?,?,?,?)";
      sql.exec(insert, 1, dedupId(succeeded.dedup), "run.succeeded", "ai.completions", RUN, "general", '{"status":"succeeded"}', 1);
      sql.exec(insert, 2, "evt_0mx5dtrgztk63jevzy6b9", "order.created", "domain.orders", null, null, '{"n":1}', 2);
      // A topic no build names (none does; the merge reads only the topics of TOPICS).
      sql.exec("UPDATE domain_events SET topic = 'domain.unknown' WHERE type = 'order.created'");
      const rows = () => sql.exec("SELECT seq, id, type, data FROM domain_events ORDER BY seq").toArray();
      const kept = rows();
      migrate(storage, [EVENTS_SCHEMA]);
      const log = new EventsStore(sql);
      const next = log.append({ type: "run.failed", run_id: RUN, agent: "general", data: {}, dedup: null }, 3);
      const again = log.append({ ...succeeded, data: { other: true } }, 4);
      return {
        kept,
        after: rows().slice(0, 2),
        listed: log.list(0, 10).events.map((e) => `${e.seq}:${e.topic}`),
        next: next.id,
        found: [log.get("evt_0mx5dtrgztk63jevzy6b9")?.type, again.data],
      };
    });
    expect(out.after).toEqual(out.kept);
    // Events written before step 6 are still found by id, and a dedup key written before is not written again.
    expect(out.found).toEqual(["order.created", { status: "succeeded" }]);
    expect(out.listed).toEqual(["1:ai.completions", "2:domain.orders", "3:ai.errors"]);
    expect(out.next).toMatch(/^evt_/);
  });

  it("refuses a dedup key that is not words joined by ':'", () => {
    expect(dedupId("apr_1:requested")).toBe("evt_apr_1.requested");
    expect(() => dedupId("a b")).toThrow(/dedup key/);
    expect(() => dedupId("a.b")).toThrow(/dedup key/);
  });
});
