// The run's Durable Object: a thin dispatcher. Each RPC applies one transition (RunEngine for the
// execution, RunControl for everything else) in one SQLite transaction, then carries out its
// effects (effects.ts). Its parts are wired in parts.ts; streams and their authentication are in stream.ts.

import { DurableObject } from "cloudflare:workers";
import type { WorkspaceUsage } from "../workspace/run-workspace";
import type { ApprovalDecision } from "./control";
import type { Transition } from "./engine";
import type { Journal } from "./journal";
import { type RunParts, runParts } from "./parts";
import type {
  CancelResult,
  ClaimRequest,
  ClaimResult,
  CommitRequest,
  CommitResult,
  DecideResult,
  InitParams,
  LogPage,
  Progress,
  RenewResult,
  RetryResult,
} from "./protocol";
import { type ResolveRequest, resolveRun } from "./resolve";
import type { RetryCorrection } from "./retry-correction";
import { isFinal } from "./state";
import type { RunView } from "./view";

export class RunObject extends DurableObject<Env> {
  private readonly p: RunParts;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.p = runParts(ctx, env);
  }

  private get journal() {
    return this.p.journal;
  }

  /**
   * Creates the run (idempotent: a second call changes nothing) and dispatches it. Nothing is
   * returned: the tenant answers the API from its own records.
   */
  async init(p: InitParams): Promise<void> {
    // What creating it cost the tenant object, counted once, with the run.
    if (!this.journal.run() && p.tenantCost) this.journal.addCost(p.tenantCost);
    await this.apply(() => this.p.control.init(p));
  }

  /**
   * The run as the API shows it; null for another tenant (rendered as 404). With `workspace` when
   * the run knows its workspace is empty (no files at creation, no file-writing tool called), so
   * the API need not list it.
   */
  async get(tenantId: string): Promise<(RunView & { workspace?: WorkspaceUsage }) | null> {
    await this.p.effects.settled();
    const run = this.journal.run();
    if (run?.tenant_id !== tenantId) return null;
    return run.workspace === false ? { ...this.p.view(), workspace: { files: 0, bytes: 0 } } : this.p.view();
  }

  /**
   * A page of the run's log after `after` (at most `limit` events); null for another tenant. A
   * deferred page is written first: a reader never sees an event the run could forget.
   */
  logs(tenantId: string, after: number, limit: number): LogPage | null {
    const run = this.journal.run();
    if (!run || run.tenant_id !== tenantId) return null;
    this.p.persist();
    const events = this.journal.events(after, limit);
    const last = events.length > 0 ? events[events.length - 1]!.seq : after;
    return { events, next_after: last, done: isFinal(run.status) && last >= run.next_seq - 1 };
  }

  /**
   * A worker claims the run's next unit; its stop signal is kept while it holds the lease. The
   * first claim of a run no stream follows is written with the unit's commit (RunEngine.claim).
   */
  async claim(req: ClaimRequest): Promise<ClaimResult> {
    if (!this.journal.run()) return { status: "drop", reason: "unknown run" };
    const unfollowed = !this.p.streams.followers().live;
    const res = await this.apply((now) => this.p.engine.claim(req, now, unfollowed));
    if (res.status !== "claimed") return res;
    if (req.onCancel) this.p.effects.watch(res.token, req.onCancel);
    return { ...res, ...this.p.streams.followers() };
  }

  /** A worker commits the outcome of its unit. */
  async commit(req: CommitRequest): Promise<CommitResult> {
    const res = await this.apply((now) => this.p.engine.commit(req, now));
    return res.status === "continue" ? { ...res, ...this.p.streams.followers() } : res;
  }

  /** Extends a worker's lease (`held` false when the run was canceled, or taken over). */
  async renew(token: string): Promise<RenewResult> {
    const held = await this.apply((now) => this.p.control.renew(token, now));
    return { held, ...this.p.streams.followers() };
  }

  /**
   * A progress note from the worker holding the lease, broadcast to the streams that asked for
   * progress and not stored. A worker sends one only while its last answer said `watched`; the
   * answer says whether anyone still does.
   */
  progress(token: string, note: Progress): boolean {
    const run = this.journal.run();
    if (!run || run.lease_token !== token) return false;
    this.journal.addCost({ run_requests: 1 });
    this.p.streams.progress(run.id, note);
    return this.p.streams.watching();
  }

  /** A worker hit an unexpected error: its lease is released for the redelivery. */
  abandon(token: string, reason: string): Promise<void> {
    return this.apply((now) => this.p.control.abandon(token, reason, now));
  }

  /** Cancels a non-final run: its worker is told to stop and `run.canceled` is its last event. */
  async cancel(tenantId: string): Promise<CancelResult> {
    return (await this.apply((now) => this.p.control.cancel(tenantId, now))) ?? { run: this.p.view() };
  }

  /** `POST /v1/approvals/:id`: approve (input checked against the tool's schema) or reject; the run resumes. */
  async decide(tenantId: string, approvalId: string, d: ApprovalDecision): Promise<DecideResult> {
    const refused = await this.apply((now) => this.p.control.decide(tenantId, approvalId, d, now));
    return refused ?? { approval: this.p.approvals.get(this.journal.run()!.id, approvalId)! };
  }

  /** `POST /v1/runs/:id/retry` (with an optional correction) and DLQ redrive: a failed or dead run back to queued. */
  async retry(tenantId: string, correction: RetryCorrection = {}): Promise<RetryResult> {
    return (await this.apply((now) => this.p.control.retry(tenantId, now, correction))) ?? { run: this.p.view() };
  }

  /**
   * `POST /v1/runs/:id/resolve`: records a person's resolution of a failed or dead run, once. The
   * tenant's index has it (exceptions, `run.resolved`) before this returns.
   */
  async resolve(tenantId: string, r: ResolveRequest): Promise<CancelResult> {
    const refused = await this.apply((now) => resolveRun(this.p.engine, this.journal, tenantId, r, now));
    if (refused) return refused;
    await this.p.effects.syncIfBehind();
    return { run: this.p.view() };
  }

  /** Called by the dead-letter consumer: the run's message could not be delivered. */
  markDead(reason: string, gen: number): Promise<void> {
    return this.apply((now) => this.p.control.markDead(reason, gen, now));
  }

  override async alarm(): Promise<void> {
    this.p.effects.alarmFired();
    if (!this.journal.run()) return;
    await this.apply((now) => this.p.control.onAlarm(now, this.p.effects.sent()));
    await this.p.effects.syncIfBehind();
  }

  /** What the run has cost so far by object, with this instance's alarm writes (benchmarks). */
  costs(): ReturnType<Journal["cost"]> & { alarm_writes: number } {
    return { ...this.journal.cost(), alarm_writes: this.p.alarmWrites.count };
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
    // A stream replays the log: a deferred page is written first (logs()).
    this.p.persist();
    return this.p.streams.open(request, this.p.streamRun());
  }

  // The WebSocket handlers belong to the streams (stream.ts).
  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    this.p.streams.onMessage(ws, message);
  }
  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    this.p.streams.onClose(ws, code, reason);
  }
  override async webSocketError(_ws: WebSocket, error: unknown): Promise<void> {
    this.p.streams.onError(error);
  }

  /** Applies one transition (a counted work call) and carries out its effects; returns its result. */
  private async apply<R>(transition: (now: number) => Transition<R>): Promise<R> {
    this.journal.addCost({ run_requests: 1 });
    const out = this.p.tx(() => {
      const now = Date.now();
      const t = transition(now);
      // The lane message is sent after this commit. Until a worker claims it (the claim clears
      // `wake_at`), the run's alarm stands by to send it again: a send that fails, or an object
      // reset between the commit and the send, loses no run.
      if (t.effects.dispatch) this.journal.updateRun({ wake_at: now + t.effects.dispatch.delayMs + this.p.leaseMs });
      return t;
    });
    await this.p.effects.run(out.effects);
    return out.result;
  }
}
