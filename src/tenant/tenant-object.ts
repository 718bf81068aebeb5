// The tenant's Durable Object: a thin dispatcher over the tenant's SQLite (keys, run index,
// idempotency, credits ledger, custom agents). One writer per tenant makes reservations atomic.

import { DurableObject } from "cloudflare:workers";
import type { Balance, Charge, LedgerEntry, ReserveResult } from "../adapters/ledger/port";
import { BUILTIN_AGENTS } from "../agent/agents";
import { config, eventStreamKeepAliveMs, externalAdapters, externalLedger, queueCounters } from "../deps";
import type { Actor } from "../domain/actor";
import { SlidingWindow } from "../domain/rate-limit";
import type { Topic } from "../domain/topics";
import type { AgentProfile } from "../domain/types";
import { metricsStub } from "../ops/metrics-object";
import type { RetryResult } from "../run/protocol";
import type { RetryCorrection } from "../run/retry-correction";
import { isFinal } from "../run/state";
import { migrate } from "../storage/migrations";
import { countRows, type RowCounter } from "../storage/row-counter";
import { Transactions } from "../storage/transactions";
import { APPROVALS_INDEX_SCHEMA } from "./approvals-index";
import { AUDIT_SCHEMA, type AuditEntry, type AuditRecord } from "./audit-store";
import { CounterDeltas } from "./counter-deltas";
import { DeliveryOutbox } from "./delivery-outbox";
import { DomainEvents } from "./domain-events";
import { EventStreams } from "./event-stream";
import { type DomainEvent, EVENTS_SCHEMA } from "./events-store";
import { type ExceptionStatus, listExceptions } from "./exceptions-index";
import { settleExternally } from "./external-credits";
import { FEEDBACK_SCHEMA, type FeedbackFilter, type FeedbackView, type NewFeedback } from "./feedback-store";
import { LEDGER_SCHEMA, LedgerStore, PendingHold } from "./ledger-store";
import { MEMORY_SCHEMA, MemoryStore } from "./memory-store";
import { auditUrl, change, PeopleRecords } from "./people";
import type { CreateRunParams, CreateRunResult, QueueStats, RunIndexEntry, RunSync, TenantError } from "./protocol";
import { RunCreation, tenantError } from "./run-creation";
import { TENANT_SCHEMA, TenantStore } from "./store";
import { STREAM_TICKETS_SCHEMA, StreamTickets } from "./stream-tickets";
import { TENANT_METRICS_SCHEMA, TenantMetrics } from "./tenant-metrics";
import { type DeliveryAssignment, type DeliveryTarget, WEBHOOKS_SCHEMA, type Webhook } from "./webhooks-store";

const err = tenantError;

export class TenantObject extends DurableObject<Env> {
  private readonly store: TenantStore;
  private readonly ledger: LedgerStore;
  private readonly runLimiter: SlidingWindow;
  private readonly metrics: TenantMetrics;
  private readonly memory: MemoryStore;
  private readonly domain: DomainEvents;
  private readonly creation: RunCreation;
  private readonly counters: CounterDeltas;
  private readonly outbox: DeliveryOutbox;
  private readonly live: EventStreams;
  private readonly tickets: StreamTickets;
  /** The object's SQL, with the rows a run's creation and syncs write counted into its cost. */
  private readonly rows: RowCounter;
  /** Every transaction of the object: one that rolls back makes the stores forget what they keep in memory. */
  private readonly transactions: Transactions;
  private readonly people: PeopleRecords;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    // Every store's tables, before any is opened (webhooks uses memory's `settings`).
    const stores = [
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
    ];
    migrate(ctx.storage, stores);
    this.rows = countRows(ctx.storage.sql);
    const sql = this.rows.sql;
    this.transactions = new Transactions(ctx.storage);
    this.store = new TenantStore(sql);
    this.counters = new CounterDeltas(ctx, this.transactions, this.store, () => queueCounters(env));
    this.ledger = new LedgerStore(sql, this.store);
    this.runLimiter = new SlidingWindow(config(env).rateLimits.runsPerMinute);
    this.metrics = new TenantMetrics(
      sql,
      (source, batch) => metricsStub(env.METRICS, source).push(source, batch),
      () => this.store.queueStats(),
      () => (externalAdapters(env).supabase ? null : this.ledger.balance()),
      config(env).prices,
    );
    this.memory = new MemoryStore(sql);
    this.domain = new DomainEvents(
      sql,
      (id) => this.store.runWebhook(id),
      () => this.live.schedule(),
    );
    this.tickets = new StreamTickets(sql);
    this.live = new EventStreams(
      ctx,
      (after, limit, topics) => this.domain.events.list(after, limit, topics).events,
      () => this.domain.events.lastSeq(),
      eventStreamKeepAliveMs(env),
    );
    this.people = new PeopleRecords(sql, this.domain);
    this.transactions.onRollback(() => {
      this.store.forgetCached();
      this.ledger.forgetCached();
      this.domain.events.forgetCached();
      this.domain.webhooks.forgetCached();
    });
    this.outbox = new DeliveryOutbox(
      ctx,
      () => env.EVENTS,
      this.domain.webhooks,
      () => this.store.tenant()?.id ?? null,
    );
    const self = this;
    this.creation = new RunCreation({
      ctx,
      env,
      transactions: this.transactions,
      store: this.store,
      ledger: this.ledger,
      // Read through, so a limiter swapped on the object (tests do) is the one used.
      get runLimiter() {
        return self.runLimiter;
      },
      metrics: this.metrics,
      counters: this.counters,
      rows: this.rows,
      retrying: new Set<string>(),
      agent: (name) => this.agent(name),
    });
  }

  /**
   * Creates the tenant if it does not exist; `created` tells whether this call created it. With an
   * external ledger the initial credits are topped up there first (idempotent by `initial:<id>`);
   * if that fails nothing is created and the answer is `unavailable`.
   */
  async ensure(
    id: string,
    name: string,
    credits: number,
    actor?: Actor,
  ): Promise<{ created: boolean; tenant: { id: string; name: string; created_at: string } } | TenantError> {
    let external: ReturnType<typeof externalLedger>;
    try {
      external = externalLedger(this.env);
      if (external && credits > 0 && !this.store.tenant()) await external.topUp(id, credits, `initial:${id}`, "initial credits");
    } catch (e) {
      return err("unavailable", e instanceof Error ? e.message : String(e));
    }
    const ensured = this.transactions.run(() => {
      const now = Date.now();
      let t = this.store.tenant();
      const created = t === null;
      if (!t) {
        this.store.createTenant(id, name, now);
        if (credits > 0 && !external) this.ledger.topUp(credits, `initial:${id}`, "initial credits", now);
        t = this.store.tenant()!;
        this.audited(change(actor, { action: "tenant.created", target: { type: "tenant", id }, details: { name, credits } }), now);
      }
      return { created, tenant: { id: t.id, name: t.name, created_at: new Date(t.created_at).toISOString() } };
    });
    if (ensured.created) this.metrics.changed(id);
    return ensured;
  }

  exists(): boolean {
    return this.store.tenant() !== null;
  }

  /** Stores a new key's hash (never the key); `actor` puts the change in the audit trail. */
  addKey(keyId: string, hash: string, actor?: Actor): boolean {
    if (!this.store.tenant()) return false;
    this.tx((now) => {
      this.store.addKey(keyId, hash, now);
      this.audited(change(actor, { action: "key.created", target: { type: "api_key", id: keyId }, details: {} }), now);
    });
    return true;
  }

  revokeKey(keyId: string, actor?: Actor): boolean {
    return this.tx((now) => {
      const revoked = this.store.revokeKey(keyId, now);
      if (revoked) this.audited(change(actor, { action: "key.revoked", target: { type: "api_key", id: keyId }, details: {} }), now);
      return revoked;
    });
  }

  authenticate(hash: string): boolean {
    return this.store.tenant() !== null && this.store.keyValid(hash);
  }

  /** The agent a run would use: the tenant's own by that name, else the built-in one. */
  agent(name: string): AgentProfile | null {
    return this.store.customAgent(name) ?? BUILTIN_AGENTS[name] ?? null;
  }

  /** Every agent the tenant can run, by name: built-ins (or the tenant's overrides of them) and custom ones. */
  listAgents(): AgentProfile[] {
    const byName = new Map<string, AgentProfile>(Object.entries(BUILTIN_AGENTS));
    for (const a of this.store.customAgents()) byName.set(a.name, a);
    return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Creates or replaces a custom agent; `created` is false when a custom agent of that name existed. */
  saveAgent(agent: AgentProfile, actor?: Actor): { created: boolean } {
    return this.tx((now) => {
      const created = this.store.customAgent(agent.name) === null;
      this.store.putAgent(agent, now);
      this.audited(change(actor, { action: "agent.put", target: { type: "agent", id: agent.name }, details: { created } }), now);
      return { created };
    });
  }

  /** Deletes a custom agent (an override of a built-in brings the built-in back). */
  removeAgent(name: string, actor?: Actor): "deleted" | "builtin" | "not_found" {
    const deleted = this.tx((now) => {
      const gone = this.store.deleteAgent(name);
      if (gone) this.audited(change(actor, { action: "agent.deleted", target: { type: "agent", id: name }, details: {} }), now);
      return gone;
    });
    if (deleted) return "deleted";
    return BUILTIN_AGENTS[name] ? "builtin" : "not_found";
  }

  /** See RunCreation.create. */
  createRun(tenantId: string, p: CreateRunParams): Promise<CreateRunResult> {
    return this.creation.create(tenantId, p);
  }

  /**
   * Applies a run's pushed state: index status, its charges and, when final, the release. An
   * external ledger is settled first; if that fails nothing is written and the run retries.
   */
  async syncRun(tenantId: string, s: RunSync): Promise<{ rows_written: number }> {
    const external = externalLedger(this.env);
    const externallyCharged = external ? await settleExternally(external, tenantId, s) : 0;
    const { rows } = this.rows.measure(() =>
      this.counters.transaction(tenantId, () => {
        const now = Date.now();
        const release = isFinal(s.status) && !external ? `release:${s.id}:${s.attempt}` : null;
        // The run's index row, read once: the ledger, the queue counters, the metrics and the
        // domain events all start from it. Its reservation is written with the row (one row for
        // both), or after it.
        const before = this.store.runRow(s.id);
        const hold = new PendingHold(before && { inRow: before.hold });
        const charged = external
          ? externallyCharged
          : this.ledger.settle(s.id, { charges: s.charges, from: s.charges_from }, release, now, hold);
        const applied = this.counters.moved(s.id, before, () => this.store.updateRun(s, now, hold));
        this.ledger.keep(s.id, hold);
        this.metrics.runSynced(tenantId, s, applied, charged, now, before);
        this.domain.onRunSync(s, now, before && { ...before, applied });
      }),
    );
    this.metrics.platformOperations(tenantId, { durable_object_requests: 1, rows_written: rows, queue_messages: 0 });
    this.ctx.waitUntil(this.outbox.flush());
    return { rows_written: rows };
  }

  /**
   * See RunCreation.retry; `audit` (the actor, and whether it was a retry or a DLQ redrive) puts
   * an accepted retry in the audit trail.
   */
  async retryRun(
    tenantId: string,
    runId: string,
    correction: RetryCorrection = {},
    audit?: { actor: Actor; action: "run.retried" | "run.redriven" },
  ): Promise<RetryResult | TenantError> {
    const res = await this.creation.retry(tenantId, runId, correction);
    if (audit && !("error" in res)) {
      const details = {
        attempt: res.run.attempts,
        ...(correction.fromStep === undefined ? {} : { from_step: correction.fromStep }),
        input_replaced: correction.input !== undefined,
      };
      this.recordAudit({ actor: audit.actor, action: audit.action, target: { type: "run", id: runId }, details });
    }
    return res;
  }

  deadRuns(limit: number, cursor: string | null) {
    return this.store.deadRuns(limit, cursor);
  }

  listRuns(f: { status: string | null; agent: string | null; limit: number; cursor: string | null }): {
    runs: RunIndexEntry[];
    next_cursor: string | null;
  } {
    return this.store.listRuns(f);
  }

  queueStats(): QueueStats {
    return this.store.queueStats();
  }

  balance(): Balance {
    return this.ledger.balance();
  }

  ledgerPage(limit: number, cursor: string | null): { entries: LedgerEntry[]; next_cursor: string | null } {
    return this.ledger.page(limit, cursor);
  }

  topUp(amount: number, key: string, reason: string | null): Balance {
    const balance = this.transactions.run(() => {
      this.ledger.topUp(amount, key, reason);
      return this.ledger.balance();
    });
    const tenant = this.store.tenant();
    if (tenant) this.metrics.changed(tenant.id);
    return balance;
  }

  /** CreditLedger port (durable adapter): reserve `amount` for a run, once per key. */
  reserveCredits(runId: string, amount: number, key: string): ReserveResult {
    return this.transactions.run(() => ({ ok: this.ledger.reserve(runId, amount, key), balance: this.ledger.balance() }));
  }

  /** CreditLedger port: charges from the run's reservation; keys already applied are skipped. */
  chargeCredits(runId: string, charges: Charge[]): Balance {
    return this.transactions.run(() => {
      this.ledger.charge(runId, charges);
      return this.ledger.balance();
    });
  }

  /** CreditLedger port: returns what the run still holds to available, once per key. */
  releaseCredits(runId: string, key: string): Balance {
    return this.transactions.run(() => {
      this.ledger.release(runId, key);
      return this.ledger.balance();
    });
  }

  memoryGet(agent: string, key: string): unknown {
    return this.memory.get(agent, key);
  }

  memorySet(agent: string, key: string, value: unknown): void {
    this.memory.set(agent, key, value, Date.now());
  }

  signingSecret(): string {
    return this.memory.signingSecret();
  }

  /** Writes a domain event once (by `dedup`) to the tenant's event log. */
  emitEvent(e: { type: string; run_id: string | null; agent: string | null; data: unknown; dedup: string | null }): DomainEvent {
    const ev = this.transactions.run(() => this.domain.emit(e, Date.now()));
    this.ctx.waitUntil(this.outbox.flush());
    return ev;
  }

  listEvents(after: number, limit: number, topics: Topic[] | null = null) {
    return this.domain.list(after, limit, topics);
  }

  /** The live event stream (event-stream.ts), for requests the Worker authenticated. */
  override async fetch(request: Request): Promise<Response> {
    return this.live.open(request, this.store.tenant()?.id ?? null, (nonce) => this.tickets.take(nonce, Date.now()));
  }

  /** Records the nonce of a ticket to the live event stream (the Worker signs it); usable once until `expiresAt`. */
  issueStreamTicket(nonce: string, expiresAt: number): boolean {
    if (!this.store.tenant()) return false;
    this.tickets.issue(nonce, expiresAt, Date.now());
    return true;
  }

  // The event stream's sockets are one-way; "ping" is answered by the runtime with "pong".
  override async webSocketMessage(): Promise<void> {}
  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    this.live.onClose(ws, code, reason);
  }

  listApprovals(status: string | null, limit: number) {
    return this.domain.approvals.list(status, limit);
  }

  /** Sets the tenant webhook; returns the new signing secret (shown once, never in the audit trail). */
  putWebhook(w: Webhook, actor?: Actor): Webhook & { secret: string } {
    const secret = this.tx((now) => {
      const made = this.domain.webhooks.setWebhook(w);
      const details = { url: auditUrl(w.url), events: w.events, topics: w.topics };
      this.audited(change(actor, { action: "webhook.set", target: { type: "webhook", id: "tenant" }, details }), now);
      return made;
    });
    return { ...w, secret };
  }

  /** Records a change a person or key made elsewhere (a run, the ledger) in the audit trail. */
  recordAudit(r: AuditRecord): AuditEntry {
    const entry = this.tx((now) => this.people.record(r, now));
    return entry;
  }

  listAudit(after: number, limit: number) {
    return this.people.audit.list(after, limit);
  }

  /** Records a person's feedback on a final run (checked by the caller against the run itself). */
  addFeedback(f: NewFeedback): FeedbackView {
    return this.tx((now) => this.people.addFeedback(f, now));
  }

  listFeedback(f: FeedbackFilter) {
    return this.people.feedback.list(f);
  }

  feedbackExamples(f: FeedbackFilter) {
    return this.people.feedback.examples(f);
  }

  listExceptions(status: ExceptionStatus, limit: number, cursor: string | null) {
    return listExceptions(this.ctx.storage.sql, status, limit, cursor);
  }

  /** Runs `fn` in one transaction, then sends the domain events it wrote (audit entries among them). */
  private tx<T>(fn: (now: number) => T): T {
    const out = this.transactions.run(() => fn(Date.now()));
    this.ctx.waitUntil(this.outbox.flush());
    return out;
  }

  private audited(r: AuditRecord | null, now: number): void {
    if (r) this.people.record(r, now);
  }

  /**
   * For the events consumer's message `holder`: the signed request that delivers an event to a
   * target, lent to that message alone (`busy` while another message holds it; `done` when
   * nothing is left to deliver).
   */
  deliveryFor(eventId: string, target: DeliveryTarget, holder: string): DeliveryAssignment {
    const d = this.domain.deliveryFor(eventId, target);
    if (!d) return { status: "done" };
    if (!this.outbox.claim(eventId, target, holder, Date.now())) return { status: "busy" };
    return { status: "deliver", ...d, secret: this.memory.signingSecret() };
  }

  /** Records `holder`'s delivery attempt and ends its claim; `final` keeps an undeliverable event as failed. */
  recordDelivery(
    eventId: string,
    target: DeliveryTarget,
    holder: string,
    r: { ok: boolean; status: number | null; error: string | null; final: boolean },
  ): void {
    this.domain.webhooks.recordAttempt(eventId, target, r, Date.now());
    this.outbox.release(eventId, target, holder);
    const tenant = this.store.tenant();
    if (tenant) this.metrics.deliveryAttempted(tenant.id, r);
  }

  override async alarm(): Promise<void> {
    // Keys of a tenant that stopped sending them are not reached by run creation's pruning.
    this.store.pruneIdempotency(Date.now(), 1000);
    await this.outbox.flush();
    await this.counters.flush();
  }
}
