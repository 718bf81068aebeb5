// The run's Durable Object: a thin dispatcher. Each RPC applies one transition (RunEngine for the
// execution, RunControl for everything else) in one SQLite transaction, then carries out its
// effects (effects.ts). Streams and their authentication are in stream.ts.

import { DurableObject } from "cloudflare:workers";
import { config } from "../deps";
import { costView } from "../domain/costs";
import { migrate } from "../storage/migrations";
import { countRows } from "../storage/row-counter";
import { APPROVALS_SCHEMA, ApprovalStore } from "./approvals";
import { type ApprovalDecision, RunControl } from "./control";
import { AlarmWrites, EffectsExecutor } from "./effects";
import { RunEngine, type Transition } from "./engine";
import { JOURNAL_SCHEMA, Journal } from "./journal";
import type {
  CancelResult,
  ClaimRequest,
  ClaimResult,
  CommitRequest,
  CommitResult,
  DecideResult,
  InitParams,
  LogPage,
  RetryResult,
} from "./protocol";
import { type ResolveRequest, resolveRun } from "./resolve";
import type { RetryCorrection } from "./retry-correction";
import { isFinal } from "./state";
import { Streams } from "./stream";
import { TenantSync } from "./tenant-sync";
import { type RunView, runView } from "./view";

export class RunObject extends DurableObject<Env> {
  private readonly journal: Journal;
  private readonly approvals: ApprovalStore;
  private readonly engine: RunEngine;
  private readonly control: RunControl;
  private readonly streams: Streams;
  private readonly effects: EffectsExecutor;
  private readonly alarmWrites = new AlarmWrites();
  private readonly prices: ReturnType<typeof config>["prices"];
  private readonly leaseMs: number;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    // A new object creates its tables: rows it writes for the run it will hold.
    const counter = countRows(ctx.storage.sql);
    const migrated = counter.measure(() =>
      migrate({ sql: counter.sql, transactionSync: (fn) => ctx.storage.transactionSync(fn) }, [JOURNAL_SCHEMA, APPROVALS_SCHEMA]),
    );
    this.journal = new Journal(ctx.storage.sql);
    this.journal.addCost({ run_rows: migrated.rows });
    this.approvals = new ApprovalStore(ctx.storage.sql);
    const cfg = config(env);
    this.prices = cfg.prices;
    this.leaseMs = cfg.leaseMs;
    const engineConfig = { leaseMs: cfg.leaseMs, retry: cfg.retry };
    this.engine = new RunEngine(this.journal, engineConfig, this.approvals);
    this.control = new RunControl(this.engine, this.journal, engineConfig, this.approvals);
    this.streams = new Streams(ctx);
    const tenantSync = new TenantSync({
      env,
      journal: this.journal,
      approvals: this.approvals,
      view: () => this.view(),
      retryBy: (at) => this.effects.alarmBy(at),
    });
    this.effects = new EffectsExecutor({
      ctx,
      env,
      journal: this.journal,
      streams: this.streams,
      tenantSync,
      alarmWrites: this.alarmWrites,
      nextAlarm: () => this.control.nextAlarm(),
      tx: (fn) => this.tx(fn),
    });
  }

  /** Creates the run (idempotent: a second call returns the existing run) and dispatches it. */
  async init(p: InitParams): Promise<RunView> {
    // What creating it cost the tenant object, counted once, with the run.
    if (!this.journal.run() && p.tenantCost) this.journal.addCost(p.tenantCost);
    await this.apply(() => this.control.init(p));
    return this.view();
  }

  /** The run as the API shows it; null for another tenant (rendered as 404). */
  async get(tenantId: string): Promise<RunView | null> {
    await this.effects.settled();
    return this.journal.run()?.tenant_id === tenantId ? this.view() : null;
  }

  /** A page of the run's log after `after` (at most `limit` events); null for another tenant. */
  logs(tenantId: string, after: number, limit: number): LogPage | null {
    const run = this.journal.run();
    if (!run || run.tenant_id !== tenantId) return null;
    const events = this.journal.events(after, limit);
    const last = events.length > 0 ? events[events.length - 1]!.seq : after;
    return { events, next_after: last, done: isFinal(run.status) && last >= run.next_seq - 1 };
  }

  /** A worker claims the run's next unit; its stop signal is kept while it holds the lease. */
  async claim(req: ClaimRequest): Promise<ClaimResult> {
    if (!this.journal.run()) return { status: "drop", reason: "unknown run" };
    const res = await this.apply((now) => this.engine.claim(req, now));
    if (res.status === "claimed" && req.onCancel) this.effects.watch(res.token, req.onCancel);
    return res;
  }

  /** A worker commits the outcome of its unit. */
  commit(req: CommitRequest): Promise<CommitResult> {
    return this.apply((now) => this.engine.commit(req, now));
  }

  /** Extends a worker's lease; false when it no longer holds it (the run was canceled, or taken over). */
  renew(token: string): Promise<boolean> {
    return this.apply((now) => this.control.renew(token, now));
  }

  /** A worker hit an unexpected error: its lease is released for the redelivery. */
  abandon(token: string, reason: string): Promise<void> {
    return this.apply((now) => this.control.abandon(token, reason, now));
  }

  /** Cancels a non-final run: its worker is told to stop and `run.canceled` is its last event. */
  async cancel(tenantId: string): Promise<CancelResult> {
    return (await this.apply((now) => this.control.cancel(tenantId, now))) ?? { run: this.view() };
  }

  /** `POST /v1/approvals/:id`: approve (input checked against the tool's schema) or reject; the run resumes. */
  async decide(tenantId: string, approvalId: string, d: ApprovalDecision): Promise<DecideResult> {
    const refused = await this.apply((now) => this.control.decide(tenantId, approvalId, d, now));
    return refused ?? { approval: this.approvals.get(this.journal.run()!.id, approvalId)! };
  }

  /** `POST /v1/runs/:id/retry` (with an optional correction) and DLQ redrive: a failed or dead run back to queued. */
  async retry(tenantId: string, correction: RetryCorrection = {}): Promise<RetryResult> {
    return (await this.apply((now) => this.control.retry(tenantId, now, correction))) ?? { run: this.view() };
  }

  /**
   * `POST /v1/runs/:id/resolve`: records a person's resolution of a failed or dead run, once. The
   * tenant's index has it (exceptions, `run.resolved`) before this returns.
   */
  async resolve(tenantId: string, r: ResolveRequest): Promise<CancelResult> {
    const refused = await this.apply((now) => resolveRun(this.engine, this.journal, tenantId, r, now));
    if (refused) return refused;
    await this.effects.syncIfBehind();
    return { run: this.view() };
  }

  /** Called by the dead-letter consumer: the run's message could not be delivered. */
  markDead(reason: string, gen: number): Promise<void> {
    return this.apply((now) => this.control.markDead(reason, gen, now));
  }

  override async alarm(): Promise<void> {
    this.effects.alarmFired();
    if (!this.journal.run()) return;
    await this.apply((now) => this.control.onAlarm(now));
    await this.effects.syncIfBehind();
  }

  /** What the run has cost so far by object, with this instance's alarm writes (benchmarks). */
  costs(): ReturnType<Journal["cost"]> & { alarm_writes: number } {
    return { ...this.journal.cost(), alarm_writes: this.alarmWrites.count };
  }

  /**
   * Records a stream ticket's nonce (the Worker signs the ticket), usable once until `expiresAt`
   * (epoch ms); false when the run is not the tenant's.
   */
  issueTicket(tenantId: string, nonce: string, expiresAt: number): boolean {
    const run = this.journal.run();
    if (!run || run.tenant_id !== tenantId) return false;
    this.journal.addTicket(nonce, expiresAt);
    return true;
  }

  /**
   * Streams: the Worker forwards only authenticated requests, with the tenant header; one opened
   * by a ticket (checked by the Worker) also carries its nonce, which opens a stream once.
   */
  override async fetch(request: Request): Promise<Response> {
    const run = this.journal.run();
    return this.streams.open(
      request,
      run && {
        tenantId: run.tenant_id,
        finished: isFinal(run.status),
        lastSeq: run.next_seq - 1,
        read: (after, limit) => this.journal.events(after, limit),
        takeTicket: (nonce) => this.journal.takeTicket(nonce, Date.now()),
      },
    );
  }

  // The WebSocket handlers belong to the streams (stream.ts).
  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    this.streams.onMessage(ws, message);
  }
  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    this.streams.onClose(ws, code, reason);
  }
  override async webSocketError(_ws: WebSocket, error: unknown): Promise<void> {
    this.streams.onError(error);
  }

  /** Applies one transition (a counted work call) and carries out its effects; returns its result. */
  private async apply<R>(transition: (now: number) => Transition<R>): Promise<R> {
    this.journal.addCost({ run_requests: 1 });
    const out = this.tx(() => {
      const now = Date.now();
      const t = transition(now);
      // The lane message is sent after this commit. Until a worker claims it (the claim clears
      // `wake_at`), the run's alarm stands by to send it again: a send that fails, or an object
      // reset between the commit and the send, loses no run.
      if (t.effects.dispatch) this.journal.updateRun({ wake_at: now + t.effects.dispatch.delayMs + this.leaseMs });
      return t;
    });
    await this.effects.run(out.effects);
    return out.result;
  }

  /** Runs `fn` in one SQLite transaction and writes the run row once at its end. */
  private tx<T>(fn: () => T): T {
    try {
      return this.ctx.storage.transactionSync(() => {
        const out = fn();
        this.journal.flush();
        return out;
      });
    } catch (e) {
      this.journal.discard();
      throw e;
    }
  }

  private view(): RunView {
    const run = this.journal.run()!;
    return runView(run, this.journal.steps(), this.approvals.all(run.id), costView(this.journal.cost(), run.usage, this.prices));
  }
}
