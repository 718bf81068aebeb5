// Objects written by earlier builds open under this one with every row kept and readable. The
// frozen tables and rows of test/storage/fixtures/ are written into new objects, which are then
// evicted (`evictDurableObject`: the instance goes, the storage stays, as when a deploy replaces
// the code); the next request constructs each class anew, so the migration runs from the real
// constructor, with its real list of stores, exactly as in production.
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { durableHeartbeats, HEARTBEATS_SCHEMA } from "../../src/adapters/heartbeats/durable";
import { SCHEDULER_SCHEMA } from "../../src/adapters/scheduler/durable";
import { REPLAYS_SCHEMA } from "../../src/adapters/scheduler/durable-replay";
import { newId } from "../../src/domain/ids";
import { METRICS_SCHEMA } from "../../src/ops/metrics-object";
import { Journal } from "../../src/run/journal";
import { JOURNAL_SCHEMA } from "../../src/run/journal-schema";
import { migrate, type StoreSchema } from "../../src/storage/migrations";
import { APPROVALS_INDEX_SCHEMA } from "../../src/tenant/approvals-index";
import { AUDIT_SCHEMA } from "../../src/tenant/audit-store";
import { EVENTS_SCHEMA } from "../../src/tenant/events-store";
import { FEEDBACK_SCHEMA } from "../../src/tenant/feedback-store";
import { LEDGER_SCHEMA, LedgerStore } from "../../src/tenant/ledger-store";
import { MEMORY_SCHEMA } from "../../src/tenant/memory-store";
import { TENANT_SCHEMA } from "../../src/tenant/store";
import { STREAM_TICKETS_SCHEMA } from "../../src/tenant/stream-tickets";
import { TENANT_METRICS_SCHEMA } from "../../src/tenant/tenant-metrics";
import { WEBHOOKS_SCHEMA } from "../../src/tenant/webhooks-store";
import { ADMIN, allEvents, api, json, waitForRun } from "../helpers/api";
import { echoUrl, received, trustSecret } from "../helpers/echo";
import { eventually } from "../helpers/external";
import * as first from "./fixtures/first-build";
import * as unversioned from "./fixtures/unversioned-build";
import * as v1 from "./fixtures/version-1";
import { fill, holdings, keptRows, type Placeholders, type Planted, plant } from "./planting";

/** Each object class with the stores its constructor migrates (the versions an upgraded object must reach). */
const CLASSES = {
  run: [JOURNAL_SCHEMA],
  tenant: [
    TENANT_SCHEMA,
    LEDGER_SCHEMA,
    MEMORY_SCHEMA,
    EVENTS_SCHEMA,
    WEBHOOKS_SCHEMA,
    APPROVALS_INDEX_SCHEMA,
    TENANT_METRICS_SCHEMA,
    AUDIT_SCHEMA,
    FEEDBACK_SCHEMA,
    STREAM_TICKETS_SCHEMA,
  ],
  ops: [HEARTBEATS_SCHEMA, REPLAYS_SCHEMA, SCHEDULER_SCHEMA],
  metrics: [METRICS_SCHEMA],
} satisfies Record<string, StoreSchema[]>;
type ObjectClass = keyof typeof CLASSES;

const latest = (cls: ObjectClass) => Object.fromEntries(CLASSES[cls].map((s) => [s.store, s.steps.length]));

function namespace(cls: ObjectClass): DurableObjectNamespace {
  return { run: env.RUNS, tenant: env.TENANTS, ops: env.OPS, metrics: env.METRICS }[cls] as unknown as DurableObjectNamespace;
}

/** The tenant's balance row, which ledger step 3 folds into the ledger's last entry (checked apart). */
const BALANCE_COLUMNS = ["id", "available", "reserved", "spent_total"];

/** A build's objects: each class's fixture statements (tables, then rows), and what its run holds. */
interface Build {
  name: string;
  objects: Partial<Record<ObjectClass, string>>;
  /** Planted columns later builds dropped, by table. */
  dropped: Record<string, string[]>;
  /** The POST /v1/runs body that created the run (its hash is in the idempotency row). */
  request: Record<string, unknown>;
  /** The run's journal events, its approvals' statuses, the tenant's domain events. */
  holds: { events: number; approvals: string[]; domainEvents: number; webhook: boolean };
}

const BUILDS: Build[] = [
  {
    name: "the first build",
    objects: {
      run: first.RUN_TABLES + first.RUN_ROWS,
      tenant: first.TENANT_TABLES + first.TENANT_ROWS,
      ops: first.OPS_TABLES + first.OPS_ROWS,
    },
    dropped: { charges: ["settled"], balance: BALANCE_COLUMNS },
    request: first.CREATE_REQUEST,
    holds: { events: 27, approvals: [], domainEvents: 2, webhook: false },
  },
  {
    name: "the last build before schema versions",
    objects: {
      run: unversioned.RUN_TABLES + unversioned.RUN_ROWS,
      tenant: unversioned.TENANT_TABLES + unversioned.TENANT_ROWS,
      ops: unversioned.OPS_TABLES + unversioned.OPS_ROWS,
      metrics: unversioned.METRICS_TABLES + unversioned.METRICS_ROWS,
    },
    dropped: { balance: BALANCE_COLUMNS },
    request: unversioned.CREATE_REQUEST,
    holds: { events: 33, approvals: ["approved"], domainEvents: 4, webhook: true },
  },
  {
    name: "this build (schema version 1)",
    objects: {
      run: unversioned.RUN_TABLES + unversioned.RUN_ROWS + v1.SCHEMA_TABLE + v1.RUN_VERSIONS,
      tenant: unversioned.TENANT_TABLES + unversioned.TENANT_ROWS + v1.SCHEMA_TABLE + v1.TENANT_VERSIONS,
      ops: unversioned.OPS_TABLES + unversioned.OPS_ROWS + v1.SCHEMA_TABLE + v1.OPS_VERSIONS,
      metrics: unversioned.METRICS_TABLES + unversioned.METRICS_ROWS + v1.SCHEMA_TABLE + v1.METRICS_VERSIONS,
    },
    dropped: { balance: BALANCE_COLUMNS },
    request: unversioned.CREATE_REQUEST,
    holds: { events: 33, approvals: ["approved"], domainEvents: 4, webhook: true },
  },
];

/** The topic each event type of the fixtures has. */
const FIXTURE_TOPICS: Record<string, string> = {
  "order.noted": "domain.orders",
  "run.succeeded": "ai.completions",
  "approval.requested": "hitl.requests",
  "approval.decided": "hitl.decisions",
  "audit.recorded": "audit.trail",
};

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Fresh ids for one scenario, so fixtures of different tests never share an object. */
async function scenario() {
  const tenant = `t-up-${crypto.randomUUID().slice(0, 8)}`;
  const run = newId("run");
  const key = `ec_${tenant}_${crypto.randomUUID().replaceAll("-", "")}`;
  const scope = `upgrade-${crypto.randomUUID().slice(0, 8)}`;
  const now = Date.now();
  const values: Placeholders = {
    tenant,
    run_suffix: run.slice(4),
    key_hash: await sha256Hex(key),
    webhook_url: `${echoUrl()}/hook/${scope}/webhook`,
    recent: now - 60_000,
    later: now + 3_600_000,
  };
  const names: Record<ObjectClass, string> = { run, tenant, ops: `ops-upgrade-${tenant}`, metrics: `metrics-upgrade-${tenant}` };
  return { tenant, run, key, scope, values, names };
}

type Scenario = Awaited<ReturnType<typeof scenario>>;

const RUN_JSON = new Set(["agent", "input", "output", "error", "plan", "usage", "metadata", "resolution", "cost"]);
const STEP_JSON = new Set(["output", "usage", "transcript"]);

/** A planted row with its JSON columns decoded and without its rowid. */
function decoded(row: Record<string, SqlStorageValue>, json: Set<string>, skip: string[] = []): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [c, v] of Object.entries(row)) {
    if (c === "_rowid" || skip.includes(c)) continue;
    out[c] = json.has(c) && typeof v === "string" ? JSON.parse(v) : v;
  }
  return out;
}

/**
 * The planted run, steps, events, charges and approvals (`then`) next to what the journal holds of
 * them (`now`). charges_synced counted rowids and now counts charges, so it is compared apart
 * (test below); tickets expire within minutes and are not compared.
 */
function folded(sql: SqlStorage, planted: Planted) {
  const j = new Journal(sql);
  const run = j.run() as unknown as Record<string, unknown>;
  const plantedRun = decoded(planted.run!.rows[0]!, RUN_JSON, ["charges_synced"]);
  const events = [
    ...(planted.events?.rows ?? []).map((e) => e.seq),
    ...(planted.event_pages?.rows ?? []).flatMap((p) => JSON.parse(p.body as string).map((e: { seq: number }) => e.seq)),
  ];
  const then = {
    run: plantedRun,
    steps: planted.steps!.rows.map((r) => decoded(r, STEP_JSON)),
    events,
    charges: planted.charges!.rows.map((r) => ({ key: r.key, amount: r.amount })),
    approvals: (planted.approvals?.rows ?? []).map((r) => decoded(r, new Set(["input"]))),
  };
  const now = {
    run: Object.fromEntries(Object.keys(plantedRun).map((k) => [k, run[k]])),
    steps: j
      .steps()
      .map((s, i) => Object.fromEntries(Object.keys(then.steps[i] ?? {}).map((k) => [k, (s as unknown as Record<string, unknown>)[k]]))),
    events: j.events(0, 10_000).map((e) => e.seq),
    charges: j.allCharges(),
    approvals: j
      .approvals()
      .map((a, i) =>
        Object.fromEntries(Object.keys(then.approvals[i] ?? {}).map((k) => [k, (a as unknown as Record<string, unknown>)[k]])),
      ),
  };
  return { now, then };
}

/**
 * Where ledger step 3 put the planted balance row and the ledger's run keys (`planted`): the
 * balance is the last entry's, and each run's keys are on its reservation (`folds`).
 */
function ledgerFolds(sql: SqlStorage, planted: Planted) {
  const b = planted.balance!.rows[0]!;
  const keys: Record<string, string[]> = {};
  for (const e of planted.ledger!.rows) {
    if (e.run_id === null) continue;
    keys[e.run_id as string] = [...(keys[e.run_id as string] ?? []), e.idem_key as string];
  }
  const kept: Record<string, string[]> = {};
  for (const r of sql.exec("SELECT run_id, keys FROM reservations ORDER BY run_id"))
    kept[r.run_id as string] = JSON.parse(r.keys as string);
  return {
    planted: { balance: { available: b.available, reserved: b.reserved, spent_total: b.spent_total }, keys },
    folds: { balance: new LedgerStore(sql).balance(), keys: kept },
  };
}

/** Plants every object of `build`, opens each with the current code, and checks what the upgrade kept. */
async function upgrade(build: Build, s: Scenario) {
  for (const [cls, statements] of Object.entries(build.objects) as [ObjectClass, string][]) {
    const ns = namespace(cls);
    const stub = ns.get(ns.idFromName(s.names[cls]));
    const planted = await plant(stub, fill(statements, s.values));
    const fresh = ns.get(ns.idFromName(`fresh-${cls}-${crypto.randomUUID()}`));
    // A new run object creates its table with its first page (deferredCreation): the migration
    // creates the same (test/storage/migrations.test.ts).
    const today = await runInDurableObject(fresh, (_obj, state) => {
      if (cls === "run") migrate(state.storage, CLASSES.run);
      return holdings(state.storage.sql).shape;
    });

    if (cls === "run") {
      // The run object's tables are folded into its journal's pages: every planted row is there.
      const opened = await runInDurableObject(stub, (_obj, state) => ({
        ...folded(state.storage.sql, planted),
        ...holdings(state.storage.sql, CLASSES[cls]),
      }));
      expect(opened.versions, "run: schema versions").toEqual(latest(cls));
      expect(opened.shape, "run: tables and indexes of a new object").toEqual(today);
      expect(opened.now, "run: every planted row in the journal").toEqual(opened.then);
    } else {
      const opened = await runInDurableObject(stub, (_obj, state) => {
        const { now, then, dropped } = keptRows(state.storage.sql, planted);
        return {
          now,
          then,
          dropped,
          ...holdings(state.storage.sql, CLASSES[cls]),
          ...(cls === "tenant" ? ledgerFolds(state.storage.sql, planted) : {}),
        };
      });
      if (cls === "tenant") expect(opened.folds, "tenant: the balance and run keys in the ledger").toEqual(opened.planted);
      expect(opened.versions, `${cls}: schema versions`).toEqual(latest(cls));
      expect(opened.shape, `${cls}: tables and indexes of a new object`).toEqual(today);
      expect(opened.now, `${cls}: every planted row kept`).toEqual(opened.then);
      const droppedHere = Object.fromEntries(Object.entries(build.dropped).filter(([t]) => t in planted));
      expect(opened.dropped, `${cls}: columns dropped`).toEqual(droppedHere);
    }

    // Opening it again (another instance) changes nothing.
    const first = await runInDurableObject(stub, (_obj, state) => holdings(state.storage.sql, CLASSES[cls]));
    await evictDurableObject(stub);
    const again = await runInDurableObject(stub, (_obj, state) => holdings(state.storage.sql, CLASSES[cls]));
    expect(again, `${cls}: a second open`).toEqual(first);
  }
}

/**
 * A signed key for the upgraded tenant. The fixtures' keys were issued before keys were signed:
 * their hashes are kept, but such keys are refused (README, Authentication), so the tenant's owner
 * asks an admin for a new key, as a client would after the upgrade.
 */
async function signedKey(s: Scenario): Promise<string> {
  const legacy = await api("/v1/runs", { key: s.key });
  expect(legacy.status).toBe(401);
  expect((await legacy.json<any>()).error.message).toMatch(/ask an admin for a new key/);
  const issued = await api(`/v1/admin/tenants/${s.tenant}/keys`, { method: "POST", key: ADMIN });
  expect(issued.status).toBe(201);
  return (await issued.json<any>()).key as string;
}

/** What the run's owner sees of the upgraded run and tenant through the API: what the fixture holds. */
async function readThroughApi(build: Build, s: Scenario) {
  const key = await signedKey(s);
  const run = await json(api(`/v1/runs/${s.run}`, { key }));
  expect(run).toMatchObject({ id: s.run, agent: "researcher", status: "succeeded", metadata: { customer: "c-1" } });
  expect(run.steps.map((x: any) => x.summary)).toEqual(["Completed: note", "Completed: check", "Completed: announce"]);
  expect(run.output.summary).toBe("Completed: announce");
  expect(run.approvals.map((a: any) => a.status)).toEqual(build.holds.approvals);
  const events = await allEvents(s.run, key);
  expect(events.map((e) => e.seq)).toEqual(Array.from({ length: build.holds.events }, (_, i) => i + 1));
  expect(events.filter((e) => e.type === "retry.scheduled")).toHaveLength(1);
  expect(events.at(-1).type).toBe("run.succeeded");

  const list = await json(api("/v1/runs", { key }));
  expect(list.runs.map((r: any) => [r.id, r.status])).toEqual([[s.run, "succeeded"]]);
  expect(await json(api("/v1/credits", { key }))).toEqual({ available: 993, reserved: 0, spent_total: 7 });
  const ledger = await json(api("/v1/credits/ledger", { key }));
  // Newest first.
  expect(ledger.entries.map((e: any) => e.kind)).toEqual(["release", ...Array(6).fill("charge"), "reserve", "topup"]);
  expect(await json(api("/v1/agents/researcher", { key }))).toMatchObject({ name: "researcher", system_prompt: "You research." });
  const domain = await json(api("/v1/events", { key }));
  // The planted events, and the audit event of the key issued above (the trail starts with the upgrade).
  expect(domain.events.filter((e: any) => e.type !== "audit.recorded")).toHaveLength(build.holds.domainEvents);
  const trail = await json(api("/v1/audit", { key }));
  expect(trail.entries.map((e: any) => [e.action, e.actor])).toEqual([["key.created", { type: "admin", id: "admin" }]]);
  expect(domain.events.map((e: any) => e.type)).toContain("order.noted");
  // Rows written before events had topics get the topic of their type.
  for (const e of domain.events) expect(e.topic, e.type).toBe(FIXTURE_TOPICS[e.type]);
  const orders = await json(api("/v1/events?topic=domain.orders", { key }));
  expect(orders.events.map((e: any) => e.type)).toEqual(["order.noted"]);
  const approvals = await json(api("/v1/approvals", { key }));
  expect(approvals.approvals.map((a: any) => a.status)).toEqual(build.holds.approvals);

  // The idempotency key still answers with the run it created.
  const replay = await api("/v1/runs", { method: "POST", key, json: build.request, headers: { "idempotency-key": "order-1" } });
  expect(replay.status).toBe(200);
  expect((await replay.json<any>()).id).toBe(s.run);
  // And an unknown key is refused: the key check reads the kept hashes, not anything at all.
  const stranger = await api("/v1/runs", { key: `ec_${s.tenant}_not-the-key` });
  expect(stranger.status).toBe(401);
}

/** A new run on the upgraded tenant: reserves on the kept ledger, reads the kept memory, and signs webhooks with the kept secret. */
async function runAgain(build: Build, s: Scenario) {
  const key = await signedKey(s);
  if (build.holds.webhook) {
    const stub = env.TENANTS.get(env.TENANTS.idFromName(s.tenant));
    const secret = await runInDurableObject(stub, (_obj, state) => {
      return state.storage.sql.exec("SELECT value FROM settings WHERE name = 'signing_secret'").one().value as string;
    });
    await trustSecret(s.scope, secret);
  }
  const created = await api("/v1/runs", {
    method: "POST",
    key,
    json: { agent: "researcher", input: '- recall !tool memory_get {"key":"topic"}' },
  });
  expect(created.status).toBe(202);
  const id = (await created.json<any>()).id as string;
  const done = await waitForRun(id, { key });
  expect(done.status).toBe("succeeded");
  expect(done.output.output.result).toEqual({ key: "topic", found: true, value: { name: "tides" } });
  const credits = await json(api("/v1/credits", { key }));
  expect(credits.reserved).toBe(0);
  expect(credits.available + credits.spent_total).toBe(1000);
  expect(credits.spent_total).toBeGreaterThan(7);
  if (build.holds.webhook) {
    const hook = await eventually("the new run's webhook", async () => {
      const hooks = await received(s.scope);
      return hooks.find((h) => h.path.endsWith("/webhook") && JSON.parse(h.body).data?.run_id === id);
    });
    expect(hook.verified).toBe(true);
    expect(JSON.parse(hook.body).type).toBe("run.succeeded");
  }
}

/** The ops object's jobs and the metrics shard, through the calls their adapters and GET /metrics make. */
async function readOps(build: Build, s: Scenario) {
  const workers = await durableHeartbeats(env.OPS, s.names.ops).list();
  expect(workers.map((w) => [w.id, w.lane, w.runs_in_flight])).toEqual([["w-1", "normal", 2]]);
  const ops = env.OPS.get(env.OPS.idFromName(s.names.ops));
  if (!build.objects.metrics) {
    // The first build had no replay cache nor scheduler: their tables are new and work.
    expect(await ops.seenDelivery("msg_1")).toBe(false);
    expect(await ops.seenDelivery("msg_1")).toBe(true);
    return;
  }
  expect(await ops.seenDelivery("msg_1")).toBe(true);
  expect(await ops.deliveryRecord("later-1")).toMatchObject({ queue: "RUNS_LOW", attempts: 0, sends: 0, sent_at: null });
  expect(await ops.deliveryRecord("sent-1")).toMatchObject({ attempts: 1, sends: 1, sent_at: s.values.recent });
  const samples = await env.METRICS.get(env.METRICS.idFromName(s.names.metrics)).snapshot();
  const value = (name: string, labels: Record<string, string>) =>
    samples.find((x) => x.name === name && JSON.stringify(x.labels) === JSON.stringify(labels))?.value;
  expect(value("edgecrew_credits_charged_total", { agent: "researcher" })).toBe(7);
  expect(value("edgecrew_queue_depth", { lane: "normal" })).toBe(5);
}

describe.each(BUILDS)("objects written by $name", (build) => {
  it("open with every row kept, the tables of a new object, no change on a second open; the API reads them, a new run uses them", async () => {
    const s = await scenario();
    await upgrade(build, s);
    await readThroughApi(build, s);
    await readOps(build, s);
    await runAgain(build, s);
  });
});

describe("the first build's rows gain the columns later builds added", () => {
  it("a run's retries are counted from its log and charges_synced follows its settled flags: every charge from the first unsettled one is synced again", async () => {
    const s = await scenario();
    const stub = env.RUNS.get(env.RUNS.idFromName(s.run));
    // Settled out of order: 1, 2 and 4 were synced, 3, 5 and 6 were not.
    await plant(stub, fill(`${first.RUN_TABLES}${first.RUN_ROWS}UPDATE charges SET settled = 0 WHERE rowid IN (3, 5, 6);`, s.values));
    const after = await runInDurableObject(stub, (_obj, state) => {
      const journal = new Journal(state.storage.sql);
      const run = journal.run()!;
      return { retries: run.retries, synced: run.charges_synced, pending: journal.unsettledCharges() };
    });
    expect(after.retries).toBe(1);
    expect(after.synced).toBe(2);
    // Charge 4 goes again: the tenant ledger ignores a key it has; a charge never sent would be lost.
    const keys = ["1:0:1:1", "1:1:1:1", "1:1:1:2", "1:2:2:1", "1:3:1:1", "1:3:1:2"].map((k) => `${s.run}:${k}`);
    expect(after.pending.charges.map((c) => c.key)).toEqual(keys.slice(2));
    expect(after.pending.through).toBe(6);
  });

  it("the tenant's run index: attempt 1, no error and no webhook for runs indexed before those columns", async () => {
    const s = await scenario();
    const stub = env.TENANTS.get(env.TENANTS.idFromName(s.tenant));
    await plant(stub, fill(first.TENANT_TABLES + first.TENANT_ROWS, s.values));
    const row = await runInDurableObject(stub, (_obj, state) =>
      state.storage.sql.exec("SELECT attempt, error, webhook_url FROM runs").one(),
    );
    expect(row).toEqual({ attempt: 1, error: null, webhook_url: null });
    const list = await json(api("/v1/runs", { key: await signedKey(s) }));
    expect(list.runs).toHaveLength(1);
    expect(list.runs[0]).toMatchObject({ id: s.run, status: "succeeded", metadata: { customer: "c-1" } });
  });
});
