// The parts a run object is made of, wired once when the object starts: its stores (after their
// migrations), the two transition modules, the streams and the effects executor. RunObject only
// dispatches to them (run-object.ts).

import { config } from "../deps";
import { costView } from "../domain/costs";
import { deferredCreation, migrate, userTables } from "../storage/migrations";
import { countRows } from "../storage/row-counter";
import { ApprovalStore } from "./approvals";
import { RunControl } from "./control";
import { AlarmWrites, EffectsExecutor } from "./effects";
import { RunEngine } from "./engine";
import { Journal } from "./journal";
import { JOURNAL_SCHEMA } from "./journal-schema";
import { isFinal } from "./state";
import { type StreamRun, Streams } from "./stream";
import { TenantSync } from "./tenant-sync";
import { type RunView, runView } from "./view";

export interface RunParts {
  journal: Journal;
  approvals: ApprovalStore;
  engine: RunEngine;
  control: RunControl;
  streams: Streams;
  effects: EffectsExecutor;
  alarmWrites: AlarmWrites;
  /** How long a worker's lease lasts (ms). */
  leaseMs: number;
  /** The run as the API shows it (the run must exist). */
  view(): RunView;
  /** What a stream request needs of the run; null before it exists. */
  streamRun(): StreamRun | null;
  /** Runs `fn` in one SQLite transaction and writes the run row once at its end. */
  tx<T>(fn: () => T): T;
  /** Writes a deferred journal page, if one waits: before anything of it leaves the object. */
  persist(): void;
}

/**
 * The run's journal, its storage brought to JOURNAL_SCHEMA. A new object creates its table with
 * its first page (in init's transaction, not a commit of its own); an existing one is migrated now.
 * Either way the rows the schema costs are counted as the run's.
 */
export function openJournal(ctx: DurableObjectState): Journal {
  const counter = countRows(ctx.storage.sql);
  const tables = userTables(ctx.storage.sql);
  const create = deferredCreation(counter.sql, JOURNAL_SCHEMA, tables);
  if (create) return new Journal(ctx.storage.sql, () => counter.measure(create).rows);
  const migrated = counter.measure(() =>
    migrate({ sql: counter.sql, transactionSync: (fn) => ctx.storage.transactionSync(fn) }, [JOURNAL_SCHEMA], tables),
  );
  const journal = new Journal(ctx.storage.sql, migrated.result.find((m) => m.store === JOURNAL_SCHEMA.store)?.from === 0);
  journal.addCost({ run_rows: migrated.rows });
  return journal;
}

export function runParts(ctx: DurableObjectState, env: Env): RunParts {
  const journal = openJournal(ctx);
  const approvals = new ApprovalStore(journal);
  const cfg = config(env);
  const engineConfig = { leaseMs: cfg.leaseMs, retry: cfg.retry };
  const engine = new RunEngine(journal, engineConfig, approvals);
  const control = new RunControl(engine, journal, engineConfig, approvals);
  const streams = new Streams(ctx);
  const alarmWrites = new AlarmWrites();

  const view = (): RunView => {
    const run = journal.run()!;
    return runView(run, journal.steps(), approvals.all(run.id), costView(journal.cost(), run.usage, cfg.prices));
  };
  const tx = <T>(fn: () => T): T => {
    try {
      return ctx.storage.transactionSync(() => {
        const out = fn();
        journal.flush();
        return out;
      });
    } catch (e) {
      journal.discard();
      throw e;
    }
  };
  const persist = (): void => {
    if (journal.held) tx(() => undefined);
  };
  const streamRun = (): StreamRun | null => {
    const run = journal.run();
    if (!run) return null;
    return {
      tenantId: run.tenant_id,
      finished: isFinal(run.status),
      lastSeq: run.next_seq - 1,
      read: (after, limit) => journal.events(after, limit),
      takeTicket: (nonce) => journal.takeTicket(nonce, Date.now()),
    };
  };

  const tenantSync = new TenantSync({ env, journal, approvals, view, persist, retryBy: (at) => effects.alarmBy(at) });
  const effects: EffectsExecutor = new EffectsExecutor({
    ctx,
    env,
    journal,
    streams,
    tenantSync,
    alarmWrites,
    nextAlarm: () => control.nextAlarm(),
    tx,
  });
  return { journal, approvals, engine, control, streams, effects, alarmWrites, leaseMs: cfg.leaseMs, view, streamRun, tx, persist };
}
