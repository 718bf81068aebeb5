// The run's Durable Object: a thin dispatcher. It owns one run's journal (SQLite), its alarm and
// its live streams; transitions are decided by RunEngine, side effects are carried out here.

import { DurableObject } from "cloudflare:workers";
import { toolSchema } from "../agent/tools";
import { schemaErrors } from "../agent/tools/validate";
import { config, laneQueue } from "../deps";
import { randomSecret } from "../domain/ids";
import type { AgentProfile, Priority, RunEvent } from "../domain/types";
import { migrate } from "../storage/migrations";
import { APPROVALS_SCHEMA, ApprovalStore } from "./approvals";
import { RunControl } from "./control";
import { type Effects, RunEngine } from "./engine";
import { JOURNAL_SCHEMA, Journal } from "./journal";
import { scheduleLaneMessage } from "./later";
import type { ClaimRequest, ClaimResult, CommitRequest, CommitResult, RunMessage } from "./protocol";
import { isFinal, isRetryable } from "./state";
import { Streams } from "./stream";
import { TenantSync } from "./tenant-sync";
import { type ApprovalView, type RunView, runView } from "./view";

export interface InitParams {
  id: string;
  tenantId: string;
  agent: AgentProfile;
  priority: Priority;
  input: unknown;
  maxCredits: number;
  metadata: Record<string, unknown> | null;
  webhookUrl: string | null;
  runAt: number | null;
  createdAt: number;
}

const TICKET_TTL_MS = 60_000;
/** Longest a run's charges wait before they are pushed to the tenant ledger without a status change. */
const CHARGE_SYNC_MS = 30_000;

export type DecideResult = { approval: ApprovalView } | { error: { code: "not_found" | "conflict" | "invalid_request"; message: string } };

export type CancelResult = { run: RunView } | { error: { code: "not_found" | "conflict"; message: string } };

export class RunObject extends DurableObject<Env> {
  private readonly journal: Journal;
  private readonly approvals: ApprovalStore;
  private readonly engine: RunEngine;
  private readonly control: RunControl;
  private readonly streams: Streams;
  private readonly tenantSync: TenantSync;
  private alarmAt: number | null | undefined;
  /**
   * What this object instance has cost the platform: work calls received (client reads excluded),
   * queue messages sent, calls to the tenant object and alarm writes. In memory only, so that
   * measuring adds no writes; read by the benchmark through `costs()`.
   */
  private readonly cost = { calls: 0, queue_sends: 0, tenant_calls: 0, alarm_writes: 0 };

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    migrate(ctx.storage, [JOURNAL_SCHEMA, APPROVALS_SCHEMA]);
    this.journal = new Journal(ctx.storage.sql);
    const cfg = config(env);
    this.approvals = new ApprovalStore(ctx.storage.sql);
    const engineConfig = { leaseMs: cfg.leaseMs, retry: cfg.retry };
    this.engine = new RunEngine(this.journal, engineConfig, this.approvals);
    this.control = new RunControl(this.engine, this.journal, engineConfig, this.approvals);
    this.streams = new Streams(ctx);
    this.tenantSync = new TenantSync({
      env,
      journal: this.journal,
      approvals: this.approvals,
      view: () => this.view(),
      counted: () => {
        this.cost.tenant_calls++;
      },
      retryBy: (at) => this.alarmBy(at),
    });
  }

  /** Creates the run (idempotent: a second call returns the existing run) and dispatches it. */
  async init(p: InitParams): Promise<RunView> {
    this.cost.calls++;
    if (!this.journal.run()) {
      const expiresAt = (p.runAt ?? p.createdAt) + p.agent.ttl_seconds * 1000;
      const scheduled = p.runAt !== null && p.runAt > p.createdAt;
      const effects: Effects = { events: [] };
      this.tx(() => {
        this.journal.insertRun({
          id: p.id,
          tenant_id: p.tenantId,
          agent: p.agent,
          status: scheduled ? "scheduled" : "queued",
          priority: p.priority,
          input: p.input,
          max_credits: p.maxCredits,
          metadata: p.metadata,
          webhook_url: p.webhookUrl,
          run_at: p.runAt,
          created_at: p.createdAt,
          expires_at: expiresAt,
        });
        this.journal.updateRun({ synced_version: 1 });
        effects.events = this.journal.append(
          [
            {
              type: "run.created",
              level: "info",
              message: `run of agent ${p.agent.name} created`,
              data: { agent: p.agent.name, priority: p.priority },
            },
            scheduled
              ? {
                  type: "run.scheduled",
                  level: "info",
                  message: `scheduled for ${new Date(p.runAt!).toISOString()}`,
                  data: { run_at: new Date(p.runAt!).toISOString() },
                }
              : { type: "run.queued", level: "info", message: `queued on the ${p.priority} lane`, data: { priority: p.priority } },
          ],
          p.createdAt,
        );
        effects.dispatch = { gen: 1, delayMs: scheduled ? p.runAt! - p.createdAt : 0 };
      });
      await this.after(effects);
    }
    return this.view();
  }

  /** The run as the API shows it; null for another tenant (rendered as 404). */
  async get(tenantId: string): Promise<RunView | null> {
    if (this.settling) await this.settling;
    const run = this.journal.run();
    return run && run.tenant_id === tenantId ? this.view() : null;
  }

  logs(tenantId: string, after: number, limit: number): { events: RunEvent[]; next_after: number; done: boolean } | null {
    const run = this.journal.run();
    if (!run || run.tenant_id !== tenantId) return null;
    const events = this.journal.events(after, limit);
    const last = events.length > 0 ? events[events.length - 1]!.seq : after;
    return { events, next_after: last, done: isFinal(run.status) && last >= run.next_seq - 1 };
  }

  async claim(req: ClaimRequest): Promise<ClaimResult> {
    this.cost.calls++;
    if (!this.journal.run()) return { status: "drop", reason: "unknown run" };
    const now = Date.now();
    const out = this.tx(() => this.engine.claim(req, now));
    await this.after(out.effects);
    return out.result;
  }

  async commit(req: CommitRequest): Promise<CommitResult> {
    this.cost.calls++;
    const now = Date.now();
    const out = this.tx(() => this.engine.commit(req, now));
    await this.after(out.effects);
    return out.result;
  }

  renew(token: string): boolean {
    this.cost.calls++;
    return this.tx(() => this.control.renew(token, Date.now()));
  }

  async abandon(token: string, reason: string): Promise<void> {
    this.cost.calls++;
    const effects = this.tx(() => this.control.abandon(token, reason, Date.now()));
    await this.after(effects);
  }

  /** Cancels a non-final run: no further step starts and `run.canceled` is its last event. */
  async cancel(tenantId: string): Promise<CancelResult> {
    this.cost.calls++;
    const run = this.journal.run();
    if (!run || run.tenant_id !== tenantId) return { error: { code: "not_found", message: "run not found" } };
    if (isFinal(run.status)) return { error: { code: "conflict", message: `run is already ${run.status}` } };
    const effects = this.tx(() => this.control.cancel(Date.now()));
    await this.after(effects);
    return { run: this.view() };
  }

  /**
   * `POST /v1/approvals/:id`: approve (optionally with an edited input, validated against the
   * tool's schema) or reject a pending approval; the run resumes. Deciding twice is a conflict.
   */
  async decide(
    tenantId: string,
    approvalId: string,
    d: { decision: "approve" | "reject"; comment: string | null; input?: unknown },
  ): Promise<DecideResult> {
    this.cost.calls++;
    const run = this.journal.run();
    const a = run && run.tenant_id === tenantId ? this.approvals.get(run.id, approvalId) : null;
    if (!run || !a) return { error: { code: "not_found", message: "approval not found" } };
    if (a.status !== "pending" || run.status !== "awaiting_approval") {
      return { error: { code: "conflict", message: `approval is already ${a.status}` } };
    }
    if (d.input !== undefined && d.decision === "approve") {
      const schema = toolSchema(run.agent, a.tool);
      const invalid = schema ? schemaErrors(schema, d.input) : null;
      if (invalid) return { error: { code: "invalid_request", message: `input: does not match the ${a.tool} schema: ${invalid}` } };
    }
    const status = d.decision === "approve" ? "approved" : "rejected";
    const input = d.decision === "approve" ? d.input : undefined;
    const effects = this.tx(() => this.control.decide(approvalId, status, d.comment, input, Date.now()));
    await this.after(effects);
    return { approval: this.approvals.get(run.id, approvalId)! };
  }

  /** `POST /v1/runs/:id/retry` and DLQ redrive: a failed or dead run back to queued. */
  async retry(tenantId: string): Promise<CancelResult> {
    this.cost.calls++;
    const run = this.journal.run();
    if (!run || run.tenant_id !== tenantId) return { error: { code: "not_found", message: "run not found" } };
    if (!isRetryable(run.status))
      return { error: { code: "conflict", message: `only failed or dead runs can be retried; this run is ${run.status}` } };
    const effects = this.tx(() => this.control.retry(Date.now()));
    await this.after(effects);
    return { run: this.view() };
  }

  /** Called by the dead-letter consumer: the run's message could not be delivered. */
  async markDead(reason: string, gen: number): Promise<void> {
    this.cost.calls++;
    if (!this.journal.run()) return;
    const effects = this.tx(() => this.control.markDead(reason, gen, Date.now()));
    await this.after(effects);
  }

  /** The cost counters of this instance, with the SQLite rows the journal has written. */
  costs(): { calls: number; queue_sends: number; tenant_calls: number; alarm_writes: number; rows_written: number } {
    return { ...this.cost, rows_written: this.journal.rowsWritten };
  }

  /** A single-use ticket (valid 60 s) that lets a browser open the stream without a header. */
  issueTicket(tenantId: string): { ticket: string; expires_at: string } | null {
    const run = this.journal.run();
    if (!run || run.tenant_id !== tenantId) return null;
    const ticket = `tk_${randomSecret(24)}`;
    const expiresAt = Date.now() + TICKET_TTL_MS;
    this.journal.addTicket(ticket, expiresAt);
    return { ticket, expires_at: new Date(expiresAt).toISOString() };
  }

  /** Streams: the Worker forwards authenticated requests (tenant header) or ticket requests. */
  override async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const run = this.journal.run();
    const tenant = request.headers.get("x-edgecrew-tenant");
    const ticket = url.searchParams.get("ticket");
    const allowed =
      run !== null && (tenant !== null ? tenant === run.tenant_id : ticket !== null && this.journal.takeTicket(ticket, Date.now()));
    if (!run || !allowed) {
      const err =
        !run || tenant !== null
          ? { code: "not_found", message: "run not found", status: 404 }
          : { code: "unauthorized", message: "stream ticket is invalid, expired or already used", status: 401 };
      return Response.json({ error: { code: err.code, message: err.message } }, { status: err.status });
    }
    const after = Math.max(0, Number(url.searchParams.get("after") ?? request.headers.get("last-event-id") ?? 0) || 0);
    const read = (a: number, l: number) => this.journal.events(a, l);
    if (url.pathname.endsWith("/stream")) return this.streams.openWebSocket(read, after, isFinal(run.status));
    return this.streams.openSse(read, after, isFinal(run.status));
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    // The stream is one-way; a client message is answered with a pong so it can test liveness.
    if (message === "ping") ws.send("pong");
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    try {
      ws.close(code === 1005 ? 1000 : code, reason);
    } catch (e) {
      console.warn("websocket already closed", { error: String(e) });
    }
  }

  override async webSocketError(_ws: WebSocket, error: unknown): Promise<void> {
    console.warn("websocket error", { error: String(error) });
  }

  override async alarm(): Promise<void> {
    this.cost.calls++;
    this.alarmAt = null;
    if (!this.journal.run()) return;
    const effects = this.tx(() => this.control.onAlarm(Date.now()));
    await this.after(effects);
    const run = this.journal.run()!;
    if (run.version > run.synced_version) await this.sync();
  }

  /** Runs a transition in one SQLite transaction and writes the run row once at its end. */
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
    return runView(run, this.journal.steps(), this.approvals.all(run.id));
  }

  /** Carries out a transition's effects: broadcast, dispatch, tenant sync, alarm. */
  private async after(effects: Effects): Promise<void> {
    const run = this.journal.run()!;
    this.streams.broadcast(effects.events, effects.final === true);
    if (effects.dispatch) await this.dispatch(effects.dispatch.gen, effects.dispatch.delayMs);
    // The tenant hears of every status change. Charges alone wait for the next status change,
    // the final settlement, or CHARGE_SYNC_MS: the reservation already holds the credits and the
    // budget is enforced here, so a tenant call per model call would buy nothing.
    const chargesDue = Date.now() - this.tenantSync.lastSync >= CHARGE_SYNC_MS && this.journal.unsettledCharges().charges.length > 0;
    if (run.version > run.synced_version || chargesDue || (effects.final && this.journal.unsettledCharges().charges.length > 0)) {
      // Final states settle credits before the run is shown as final: `get` waits for a settlement
      // in flight, so no reader sees a final run whose reservation is still held.
      // Other transitions sync in the background.
      if (effects.final) {
        this.settling = this.sync();
        await this.settling;
        this.settling = null;
      } else this.ctx.waitUntil(this.sync());
    }
    await this.setAlarm();
  }

  /** Sends the run's lane message; a failed send is retried by the alarm, never lost. */
  private async dispatch(gen: number, delayMs: number): Promise<void> {
    const run = this.journal.run()!;
    const body: RunMessage = { run: run.id, tenant: run.tenant_id, gen };
    if (delayMs > config(this.env).queueDelayLimitMs) {
      // Past the queue's limit: the Scheduler (QStash) when configured, else the run's alarm.
      try {
        if (await scheduleLaneMessage(this.env, body, run.priority, delayMs)) return;
        this.tx(() => this.journal.updateRun({ wake_at: Date.now() + delayMs }));
      } catch (e) {
        console.error("scheduling failed; the alarm will retry", { run: run.id, error: String(e) });
        this.tx(() => this.journal.updateRun({ wake_at: Date.now() + 5000 }));
      }
      return;
    }
    try {
      this.cost.queue_sends++;
      await laneQueue(this.env, run.priority).send(body, { delaySeconds: Math.ceil(delayMs / 1000), contentType: "json" });
    } catch (e) {
      console.error("dispatch failed; the alarm will retry", { run: run.id, error: String(e) });
      this.tx(() => this.journal.updateRun({ wake_at: Date.now() + 5000 }));
    }
  }

  /** The final settlement with the tenant, while it is in flight. */
  private settling: Promise<void> | null = null;

  private sync(): Promise<void> {
    return this.tenantSync.sync();
  }

  /** Makes sure the alarm fires by `at` (never moves it later). */
  private async alarmBy(at: number): Promise<void> {
    if (this.alarmAt === undefined) this.alarmAt = await this.ctx.storage.getAlarm();
    if (this.alarmAt !== null && this.alarmAt <= at) return;
    this.cost.alarm_writes++;
    await this.ctx.storage.setAlarm(at);
    this.alarmAt = at;
  }

  /** Keeps one alarm at the earliest deadline; only ever moves it earlier (fewer writes). */
  private async setAlarm(): Promise<void> {
    const run = this.journal.run()!;
    const wanted = this.control.nextAlarm() ?? run.wake_at ?? null;
    if (this.alarmAt === undefined) this.alarmAt = await this.ctx.storage.getAlarm();
    if (wanted === null) {
      if (this.alarmAt !== null && isFinal(run.status) && run.version <= run.synced_version) {
        this.cost.alarm_writes++;
        await this.ctx.storage.deleteAlarm();
        this.alarmAt = null;
      }
      return;
    }
    if (this.alarmAt === null || wanted < this.alarmAt) {
      this.cost.alarm_writes++;
      await this.ctx.storage.setAlarm(wanted);
      this.alarmAt = wanted;
    }
  }
}
