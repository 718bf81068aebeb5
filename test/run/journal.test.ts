// The run journal's storage: one page row per transition, the state folded back from the pages by
// a new instance, events read by seq across pages, and a transaction that fails after its page
// was written leaving memory as SQLite has it.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { BUILTIN_AGENTS } from "../../src/agent/agents";
import { Journal } from "../../src/run/journal";
import { openJournal } from "../../src/run/parts";
import { userTables } from "../../src/storage/migrations";
import { countRows } from "../../src/storage/row-counter";

/** A run's first transition into `j`: the run inserted and its first event (the open transaction's page). */
function createRun(j: Journal): void {
  j.insertRun({
    id: "run_000000000000000000001",
    tenant_id: "t-journal",
    agent: BUILTIN_AGENTS.general!,
    status: "queued",
    priority: "normal",
    input: "- a\n- b",
    max_credits: 10,
    metadata: null,
    webhook_url: null,
    run_at: null,
    created_at: 1,
    expires_at: 2,
  });
  j.append([{ type: "run.created", level: "info", message: "created" }], 1);
}

/** Runs `fn` over a new run object's storage and its journal, opened as the object opens it. */
function inNewRunObject<T>(fn: (j: Journal, storage: DurableObjectStorage) => T): Promise<T> {
  const stub = env.RUNS.get(env.RUNS.idFromName(`journal-${crypto.randomUUID()}`));
  return runInDurableObject(stub, (_obj, state) => fn(openJournal(state), state.storage));
}

/** Runs `fn` over a new run object's journal with a run inserted. */
function withJournal<T>(fn: (j: Journal, storage: DurableObjectStorage) => T): Promise<T> {
  return inNewRunObject((j, storage) => {
    storage.transactionSync(() => {
      createRun(j);
      j.flush();
    });
    return fn(j, storage);
  });
}

const note = (message: string) => ({ type: "step.started" as const, level: "info" as const, message });

describe("run journal", () => {
  it("writes one row per transition, however much it changed, and a new instance reads the same state back", async () => {
    await withJournal((j, storage) => {
      const counter = countRows(storage.sql);
      const counted = new Journal(counter.sql);
      const { rows } = counter.measure(() =>
        storage.transactionSync(() => {
          counted.updateRun({
            status: "running",
            plan: [
              { title: "a", instructions: "a" },
              { title: "b", instructions: "b" },
            ],
          });
          counted.insertSteps([
            { title: "a", instructions: "a" },
            { title: "b", instructions: "b" },
          ]);
          counted.updateStep(1, { status: "running", attempts: 1 });
          counted.addCharges([
            { key: "k1", amount: 2 },
            { key: "k2", amount: 1 },
          ]);
          counted.append([note("one"), note("two"), note("three")], 2);
          counted.flush();
        }),
      );
      expect(rows).toBe(1);
      const reopened = new Journal(storage.sql);
      expect(reopened.run()).toEqual(counted.run());
      expect(reopened.steps()).toEqual(counted.steps());
      expect(reopened.unsettledCharges()).toEqual({
        charges: [
          { key: "k1", amount: 2 },
          { key: "k2", amount: 1 },
        ],
        through: 2,
      });
      expect(reopened.events(0, 100).map((e) => [e.seq, e.message])).toEqual([
        [1, "created"],
        [2, "one"],
        [3, "two"],
        [4, "three"],
      ]);
      void j;
    });
  });

  it("reads events after any seq, across pages, up to a limit", async () => {
    await withJournal((j, storage) => {
      for (let p = 0; p < 5; p++) {
        storage.transactionSync(() => {
          j.append([note(`p${p}a`), note(`p${p}b`)], 10 + p);
          j.flush();
        });
      }
      // A transition without events is a page too; reads skip it.
      storage.transactionSync(() => {
        j.updateRun({ wake_at: 5 });
        j.flush();
      });
      const seqs = (after: number, limit: number) => new Journal(storage.sql).events(after, limit).map((e) => e.seq);
      expect(seqs(0, 100)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
      expect(seqs(4, 3)).toEqual([5, 6, 7]);
      expect(seqs(5, 100)).toEqual([6, 7, 8, 9, 10, 11]);
      expect(seqs(11, 100)).toEqual([]);
    });
  });

  it("a corrected retry's cut drops the later steps before the new plan's steps are added, in one page", async () => {
    await withJournal((j, storage) => {
      storage.transactionSync(() => {
        j.insertSteps([
          { title: "a", instructions: "a" },
          { title: "b", instructions: "b" },
          { title: "c", instructions: "c" },
        ]);
        j.updateStep(2, { status: "completed", summary: "old b" });
        j.flush();
      });
      storage.transactionSync(() => {
        j.deleteStepsFrom(2);
        j.insertSteps([{ title: "b2", instructions: "b2" }], 1);
        j.flush();
      });
      const titles = (x: Journal) => x.steps().map((s) => [s.idx, s.title, s.summary]);
      expect(titles(j)).toEqual([
        [1, "a", null],
        [2, "b2", null],
      ]);
      expect(titles(new Journal(storage.sql))).toEqual(titles(j));
    });
  });

  it("after a transaction that throws once its page is written, memory is what SQLite kept", async () => {
    await withJournal((j, storage) => {
      expect(() =>
        storage.transactionSync(() => {
          j.updateRun({ status: "running" });
          j.append([note("lost")], 3);
          j.flush();
          throw new Error("the commit fails");
        }),
      ).toThrow("the commit fails");
      j.discard();
      expect(j.run()!.status).toBe("queued");
      expect(j.events(0, 100).map((e) => e.message)).toEqual(["created"]);
      // The next transition's page takes the number the lost one had.
      storage.transactionSync(() => {
        j.append([note("kept")], 4);
        j.flush();
      });
      expect(new Journal(storage.sql).events(0, 100).map((e) => [e.seq, e.message])).toEqual([
        [1, "created"],
        [2, "kept"],
      ]);
    });
  });

  it("a new object's table comes with its first page: a first transaction that throws leaves none, the next creates it and counts its rows", async () => {
    await inNewRunObject((j, storage) => {
      const tables = () => [...userTables(storage.sql)];
      expect(tables()).toEqual([]);
      expect(j.run()).toBeNull();
      expect(() =>
        storage.transactionSync(() => {
          createRun(j);
          j.flush();
          throw new Error("the commit fails");
        }),
      ).toThrow("the commit fails");
      j.discard();
      expect(j.run()).toBeNull();
      expect(tables()).toEqual([]);

      storage.transactionSync(() => {
        createRun(j);
        j.flush();
      });
      expect(tables()).toEqual(["journal"]);
      expect(new Journal(storage.sql).run()?.id).toBe("run_000000000000000000001");
      // The table's 2 rows and the page's, in the page it recorded.
      expect(new Journal(storage.sql).rowsWritten).toBe(3);
    });
  });

  it("a deferred page waits in memory and is written with the next page, as one row; a new instance does not see it", async () => {
    await withJournal((_j, storage) => {
      const pages = () => storage.sql.exec("SELECT count(*) AS n FROM journal").one().n;
      const counter = countRows(storage.sql);
      const j = new Journal(counter.sql);
      const deferred = counter.measure(() =>
        storage.transactionSync(() => {
          j.updateRun({ status: "running", started_at: 3 });
          j.append([note("claimed")], 3);
          j.defer();
          j.flush();
        }),
      );
      expect(deferred.rows).toBe(0);
      expect(pages()).toBe(1);
      expect(j.held).toBe(true);
      // This instance reads its own state and events; storage does not have them.
      expect(j.run()!.status).toBe("running");
      expect(j.events(0, 100).map((e) => e.message)).toEqual(["created", "claimed"]);
      expect(new Journal(storage.sql).run()!.status).toBe("queued");

      const next = counter.measure(() =>
        storage.transactionSync(() => {
          j.append([note("committed")], 4);
          j.flush();
        }),
      );
      expect(next.rows).toBe(1);
      expect(pages()).toBe(2);
      expect(j.held).toBe(false);
      const fresh = new Journal(storage.sql);
      expect(fresh.run()!.status).toBe("running");
      expect(fresh.events(0, 100).map((e) => [e.seq, e.message])).toEqual([
        [1, "created"],
        [2, "claimed"],
        [3, "committed"],
      ]);
    });
  });

  it("a transaction that throws while a page is deferred forgets both, as an eviction would", async () => {
    await withJournal((j, storage) => {
      storage.transactionSync(() => {
        j.updateRun({ status: "running" });
        j.append([note("claimed")], 3);
        j.defer();
        j.flush();
      });
      expect(() =>
        storage.transactionSync(() => {
          j.append([note("lost")], 4);
          j.flush();
          throw new Error("the commit fails");
        }),
      ).toThrow("the commit fails");
      j.discard();
      expect(j.held).toBe(false);
      expect(j.run()!.status).toBe("queued");
      expect(j.events(0, 100).map((e) => e.message)).toEqual(["created"]);
    });
  });
});
