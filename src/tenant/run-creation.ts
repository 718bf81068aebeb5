// Creating and retrying runs for a tenant: screening (idempotency, agent, rate limit), the credit
// reservation (embedded or external ledger), the run index, the run's initial files and the run
// object's initialisation.

import type { CreditLedger } from "../adapters/ledger/port";
import { externalLedger, runWorkspace } from "../deps";
import type { SlidingWindow } from "../domain/rate-limit";
import type { AgentProfile, Priority } from "../domain/types";
import { errorText, log } from "../ops/log";
import type { InitParams, RetryResult } from "../run/protocol";
import type { RetryCorrection } from "../run/retry-correction";
import type { RowCounter } from "../storage/row-counter";
import type { Transactions } from "../storage/transactions";
import type { CounterDeltas } from "./counter-deltas";
import { releaseExternally, reserveExternally } from "./external-credits";
import { type LedgerStore, PendingHold } from "./ledger-store";
import type { CreatedRun, CreateRunParams, CreateRunResult, TenantError } from "./protocol";
import type { TenantStore } from "./store";
import type { TenantMetrics } from "./tenant-metrics";

/** A run that passed screening, before its credits are reserved. */
interface ScreenedRun {
  agent: AgentProfile;
  priority: Priority;
  maxCredits: number;
}

/** What run creation needs from the tenant object. */
export interface TenantParts {
  ctx: DurableObjectState;
  env: Env;
  /** The object's transactions (a rolled-back one makes its stores forget what they keep in memory). */
  transactions: Transactions;
  store: TenantStore;
  ledger: LedgerStore;
  runLimiter: SlidingWindow;
  metrics: TenantMetrics;
  /** Queue counter deltas of index changes (its transactions count them). */
  counters: CounterDeltas;
  /** The object's SQL with its writes counted (a run's creation is part of its cost). */
  rows: RowCounter;
  /** Runs with a retry in flight (one at a time per run). */
  retrying: Set<string>;
  agent(name: string): AgentProfile | null;
}

/** A refusal as the tenant object returns it (the API renders it as the error envelope). */
export const tenantError = (
  code: TenantError["error"]["code"],
  message: string,
  extra: Partial<TenantError["error"]> = {},
): TenantError => ({
  error: { code, message, ...extra },
});
const err = tenantError;

export class RunCreation {
  constructor(private readonly t: TenantParts) {}

  /**
   * Creates a run: idempotency, agent, rate limit and credit reservation in one transaction,
   * then the run's own object is initialised (and queued). Nothing remains if that fails. With an
   * external ledger the reservation is made there between two transactions (see createRunExternally).
   */
  async create(tenantId: string, p: CreateRunParams): Promise<CreateRunResult> {
    const now = Date.now();
    let external: ReturnType<typeof externalLedger>;
    try {
      external = externalLedger(this.t.env);
    } catch (e) {
      return err("unavailable", e instanceof Error ? e.message : String(e));
    }
    const rows = { n: 0 };
    const decided = external
      ? await this.createRunExternally(external, tenantId, p, now, rows)
      : this.counted(rows, () =>
          this.t.counters.transaction(tenantId, (): CreateRunResult | { init: InitParams; response: CreatedRun } => {
            const run = this.screenRun(p, now, true);
            if (!("agent" in run)) return run;
            // The reservation is written with the run's index row (`recordRun`): one row for both.
            // A run being created has no reservation yet, so the ledger looks for none.
            const hold = new PendingHold("new");
            if (!this.t.ledger.reserve(p.runId, run.maxCredits, `reserve:${p.runId}:1`, now, hold)) {
              const b = this.t.ledger.balance();
              return err("insufficient_credits", `this run reserves ${run.maxCredits} credits but only ${b.available} are available`, {
                details: { required: run.maxCredits, available: b.available },
              });
            }
            return this.recordRun(tenantId, p, run, now, hold);
          }),
        );
    if (!("init" in decided)) {
      if ("error" in decided) this.t.metrics.runRefused(tenantId, decided.error.code);
      return decided;
    }
    // The run's files are in its workspace before the run object exists, so no step can start
    // without them; a creation refused above (402, 409, replay, ...) never reaches this point.
    const workspace = p.files ? runWorkspace(this.t.env, { tenantId, runId: p.runId }) : null;
    try {
      if (workspace && p.files) await workspace.place(p.files);
      const stub = this.t.env.RUNS.get(this.t.env.RUNS.idFromName(p.runId));
      // The Worker's call that created the run, and the rows written for it here.
      const tenantCost = { tenant_requests: 1, tenant_rows: rows.n };
      await stub.init({ ...decided.init, tenantCost, withFiles: workspace !== null });
      this.t.metrics.platformOperations(tenantId, { durable_object_requests: 1, rows_written: rows.n, queue_messages: 0 });
    } catch (e) {
      log.error("run.init_failed", "run initialisation failed; reservation released", {
        run_id: p.runId,
        tenant: tenantId,
        error: errorText(e),
      });
      if (workspace)
        await workspace.clear().catch((cleanup: unknown) =>
          log.error("workspace.cleanup_failed", "removing the files of a run that was not created failed", {
            run_id: p.runId,
            error: errorText(cleanup),
          }),
        );
      if (external) await releaseExternally(external, tenantId, p.runId, `release:${p.runId}:init`);
      this.t.counters.transaction(tenantId, () => {
        if (!external) {
          this.t.ledger.release(p.runId, `release:${p.runId}:init`);
          this.t.ledger.detach(p.runId);
        }
        this.t.counters.removed(p.runId, () => this.t.store.unindexRun(p.runId));
        if (p.idempotencyKey) this.t.store.forget(p.idempotencyKey);
      });
      return err("unavailable", "the run could not be started; nothing was charged, please retry");
    }
    this.t.metrics.runCreated(tenantId, decided.init.agent.name);
    return { created: decided.response };
  }

  /**
   * Run creation over an external ledger: screen (idempotency, agent, rate limit), reserve in the
   * ledger (awaited: other requests may interleave), then screen again without the rate limit and
   * record. A request that lost an idempotency race, or any refusal after the reservation, releases it.
   */
  private async createRunExternally(
    ledger: CreditLedger,
    tenantId: string,
    p: CreateRunParams,
    now: number,
    rows: { n: number },
  ): Promise<CreateRunResult | { init: InitParams; response: CreatedRun }> {
    const run = this.counted(rows, () => this.t.transactions.run(() => this.screenRun(p, now, true)));
    if (!("agent" in run)) return run;
    const held = await reserveExternally(this.t.env, ledger, tenantId, p.runId, run.maxCredits, `reserve:${p.runId}:1`);
    if ("error" in held) return held;
    const decided = this.counted(rows, () =>
      this.t.counters.transaction(tenantId, () => {
        const again = this.screenRun(p, now, false);
        return "agent" in again ? this.recordRun(tenantId, p, run, now) : again;
      }),
    );
    if (!("init" in decided)) await releaseExternally(ledger, tenantId, p.runId, `release:${p.runId}:refused`);
    return decided;
  }

  /** Runs `fn`, adding the rows it writes to `rows`. */
  private counted<T>(rows: { n: number }, fn: () => T): T {
    const out = this.t.rows.measure(fn);
    rows.n += out.rows;
    return out.result;
  }

  /** Idempotency, agent and (when `limit`) the rate limit: the run to create, or the answer. */
  private screenRun(p: CreateRunParams, now: number, limit: boolean): CreateRunResult | ScreenedRun {
    if (p.idempotencyKey) {
      const seen = this.t.store.idempotent(p.idempotencyKey, now);
      if (seen && seen.body_hash === p.bodyHash) return { replay: seen.response };
      if (seen) return err("conflict", "Idempotency-Key was already used with a different request body");
    }
    const agent = this.t.agent(p.agent);
    if (!agent) return err("invalid_request", `agent: unknown agent '${p.agent}'`, { details: { field: "agent" } });
    if (limit) {
      const take = this.t.runLimiter.take(now);
      if (!take.ok) return err("rate_limited", "too many runs created; slow down", { retryAfter: take.retryAfterSeconds });
    }
    return { agent, priority: p.priority ?? agent.default_priority, maxCredits: p.maxCredits ?? agent.max_credits };
  }

  /**
   * Indexes a screened run whose credits are reserved (with the reservation the ledger left for
   * its index row, if any) and remembers its idempotency key.
   */
  private recordRun(
    tenantId: string,
    p: CreateRunParams,
    run: ScreenedRun,
    now: number,
    hold: PendingHold | null = null,
  ): { init: InitParams; response: CreatedRun } {
    const { agent, priority, maxCredits } = run;
    const status = p.runAt !== null && p.runAt > now ? "scheduled" : "queued";
    this.t.store.indexRun({
      id: p.runId,
      agent: agent.name,
      status,
      priority,
      created_at: now,
      reserved: maxCredits,
      metadata: p.metadata,
      webhook_url: p.webhookUrl,
      hold,
    });
    if (hold) this.t.ledger.keep(p.runId, hold);
    const base = `${p.baseUrl}/v1/runs/${p.runId}`;
    const response: CreatedRun = {
      id: p.runId,
      status,
      agent: agent.name,
      priority,
      created_at: new Date(now).toISOString(),
      links: { self: base, logs: `${base}/logs`, stream: `${base}/stream` },
    };
    if (p.idempotencyKey) this.t.store.remember(p.idempotencyKey, p.bodyHash, response, now);
    this.t.counters.created(status, priority);
    const init: InitParams = {
      id: p.runId,
      tenantId,
      agent,
      priority,
      input: p.input,
      maxCredits,
      metadata: p.metadata,
      webhookUrl: p.webhookUrl,
      runAt: p.runAt,
      createdAt: now,
    };
    return { init, response };
  }

  /**
   * Retries a failed or dead run: reserves what is left of its budget for the new attempt, then
   * puts the run back in the queue. Nothing is reserved if the run refuses.
   */
  async retry(tenantId: string, runId: string, correction: RetryCorrection = {}): Promise<RetryResult | TenantError> {
    const row = this.t.store.runRow(runId);
    if (!row) return err("not_found", "run not found");
    if (row.status !== "failed" && row.status !== "dead")
      return err("conflict", `only failed or dead runs can be retried; this run is ${row.status}`);
    if (this.t.retrying.has(runId)) return err("conflict", "this run is already being retried");
    const attempt = row.attempt + 1;
    const amount = Math.max(0, row.reserved - row.spent);
    const key = `reserve:${runId}:${attempt}`;
    const external = externalLedger(this.t.env);
    this.t.retrying.add(runId);
    try {
      // A run that spent its whole budget holds nothing new (a reserve is of at least 1 credit).
      if (amount > 0) {
        const short = err(
          "insufficient_credits",
          `retrying reserves the ${amount} credits left of the run's budget; not enough are available`,
        );
        if (external) {
          const held = await reserveExternally(this.t.env, external, tenantId, runId, amount, key);
          if ("error" in held) return held.error.code === "insufficient_credits" ? short : held;
        } else if (!this.t.ledger.reserve(runId, amount, key)) return short;
      }
      const res = (await this.t.env.RUNS.get(this.t.env.RUNS.idFromName(runId)).retry(tenantId, correction)) as RetryResult;
      if ("error" in res) {
        const refused = `release:${runId}:${attempt}:refused`;
        if (external) await releaseExternally(external, tenantId, runId, refused);
        else this.t.ledger.release(runId, refused);
      }
      return res;
    } finally {
      this.t.retrying.delete(runId);
    }
  }
}
