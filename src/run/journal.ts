// The run's SQLite journal: one page row per transition holding the events it appended and a patch
// of what it changed (run row, steps, charges, approvals, stream tickets); the state is those
// patches applied in order, kept in memory. A transition may defer its page to the next one's.
// Pure storage: no decisions here.

import { addCosts, type RunCost, ZERO_COST } from "../domain/costs";
import type { AgentProfile, NewEvent, PlanStep, Priority, RunEvent, RunStatus, Usage } from "../domain/types";
import { ZERO_USAGE } from "../domain/types";
import { hasTable } from "../storage/migrations";

/** How a person closed a failed or dead run: resolved (with the output they supplied) or dismissed. */
export interface Resolution {
  action: "resolved" | "dismissed";
  output: unknown;
  comment: string | null;
  actor: { type: string; id: string };
  at: string;
}

/** The run row as stored, JSON columns decoded. */
export interface RunRow {
  id: string;
  tenant_id: string;
  agent: AgentProfile;
  status: RunStatus;
  priority: Priority;
  input: unknown;
  output: unknown;
  error: { code: string; message: string; retryable: boolean } | null;
  plan: PlanStep[] | null;
  plan_attempts: number;
  usage: Usage;
  max_credits: number;
  spent: number;
  fee_charged: number;
  metadata: Record<string, unknown> | null;
  webhook_url: string | null;
  run_at: number | null;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  expires_at: number;
  attempts: number;
  gen: number;
  lease_token: string | null;
  lease_until: number | null;
  lease_worker: string | null;
  not_before: number | null;
  wake_at: number | null;
  version: number;
  synced_version: number;
  next_seq: number;
  charges_synced: number;
  /** Retries scheduled over the run's life. */
  retries: number;
  /** Set by a person on a failed or dead run; cleared when the run is retried. */
  resolution: Resolution | null;
  /** Platform operations recorded so far (null before the first update); see `Journal.cost()`. */
  cost: RunCost | null;
  /**
   * Whether the run's workspace may hold files: created with files, or a tool that writes files
   * was called. Absent on runs journaled before it, which are treated as true.
   */
  workspace?: boolean;
}

export interface StepRow {
  idx: number;
  title: string;
  instructions: string;
  status: "pending" | "running" | "completed" | "failed";
  attempts: number;
  failed_calls: number;
  summary: string | null;
  output: unknown;
  usage: Usage;
  transcript: unknown;
  run_attempt: number | null;
  started_at: number | null;
  finished_at: number | null;
}

/** An approval as the journal keeps it (its view is made by ApprovalStore). */
export interface ApprovalRow {
  n: number;
  id: string;
  step: number;
  tool: string;
  input: unknown;
  reason: string;
  status: "pending" | "approved" | "rejected" | "expired";
  expires_at: number;
  decided_at: number | null;
  decision: "approve" | "reject" | null;
  comment: string | null;
  created_at: number;
}

/**
 * What one transition changed, stored as its page's `patch`. The state of the run is every page's
 * patch applied in order: `cut` drops steps from that index on before `steps` is applied.
 */
export interface Patch {
  run?: Partial<RunRow>;
  cut?: number;
  steps?: Record<string, Partial<StepRow>>;
  charges?: { key: string; amount: number }[];
  approvals?: Record<string, Partial<ApprovalRow>>;
  tickets?: Record<string, number | null>;
}

/** The run's state, folded from its pages. */
interface State {
  run: RunRow | null;
  steps: Map<number, StepRow>;
  /** Every charge of the run in order; the first `run.charges_synced` are acknowledged. */
  charges: { key: string; amount: number }[];
  approvals: Map<number, ApprovalRow>;
  tickets: Map<string, number>;
  /** The last seq each page reaches, in order (for reading events by seq); page n is at index n - 1. */
  pageLast: number[];
}

const emptyState = (): State => ({ run: null, steps: new Map(), charges: [], approvals: new Map(), tickets: new Map(), pageLast: [] });

const isEmpty = (p: Patch): boolean => Object.keys(p).length === 0;

/** Applies `patch` to `state` (both a page read back and a change made in a transition). */
function applyPatch(state: Pick<State, "run" | "steps" | "charges" | "approvals" | "tickets">, patch: Patch): void {
  if (patch.run) state.run = { ...(state.run as RunRow), ...patch.run };
  if (patch.cut !== undefined) for (const idx of [...state.steps.keys()]) if (idx >= patch.cut) state.steps.delete(idx);
  for (const [k, v] of Object.entries(patch.steps ?? {})) {
    const idx = Number(k);
    state.steps.set(idx, { ...(state.steps.get(idx) as StepRow), ...v });
  }
  if (patch.charges) state.charges.push(...patch.charges);
  for (const [k, v] of Object.entries(patch.approvals ?? {})) {
    const n = Number(k);
    state.approvals.set(n, { ...(state.approvals.get(n) as ApprovalRow), ...v });
  }
  for (const [t, at] of Object.entries(patch.tickets ?? {})) {
    if (at === null) state.tickets.delete(t);
    else state.tickets.set(t, at);
  }
}

/** One patch doing what `a` then `b` do. */
function mergePatches(a: Patch, b: Patch): Patch {
  const out: Patch = { ...a };
  if (b.run) out.run = { ...a.run, ...b.run };
  let steps = a.steps;
  if (b.cut !== undefined) {
    out.cut = Math.min(a.cut ?? b.cut, b.cut);
    steps = Object.fromEntries(Object.entries(steps ?? {}).filter(([k]) => Number(k) < b.cut!));
  }
  for (const [k, v] of Object.entries(b.steps ?? {})) steps = { ...steps, [k]: { ...steps?.[k], ...v } };
  if (steps) out.steps = steps;
  if (b.charges) out.charges = [...(a.charges ?? []), ...b.charges];
  for (const [k, v] of Object.entries(b.approvals ?? {})) out.approvals = { ...out.approvals, [k]: { ...out.approvals?.[k], ...v } };
  if (b.tickets) out.tickets = { ...a.tickets, ...b.tickets };
  return out;
}

/** A step as inserted from a plan. */
function newStep(idx: number, s: PlanStep): StepRow {
  return {
    idx,
    title: s.title,
    instructions: s.instructions,
    status: "pending",
    attempts: 0,
    failed_calls: 0,
    summary: null,
    output: null,
    usage: ZERO_USAGE,
    transcript: null,
    run_attempt: null,
    started_at: null,
    finished_at: null,
  };
}

/**
 * The run's journal. Every transition writes one row (or defers it to the next one's, `defer()`):
 * a page with the events it appended and a patch of what it changed. The state is kept in memory,
 * folded from the pages when the object starts; changes apply to it at once and are written by
 * `flush()` at the end of the transaction.
 */
export class Journal {
  private state: State | null = null;
  private pendingPatch: Patch = {};
  private pendingEvents: RunEvent[] = [];
  /** The open transaction's page waits for the next one (`defer()`). */
  private deferring = false;
  /** A deferred page waits in memory: the next `flush()` writes it with its own changes. */
  private waiting = false;

  /**
   * Creates the table of a new object with the first page, in that page's transaction, and
   * returns the rows it wrote (a commit of its own before the run's first write cost a storage
   * sync, and an object only ever read writes nothing); null for an object that had its table.
   */
  private readonly creator: (() => number) | null = null;
  /** The table is still to be created (`creator`), with the next page. */
  private tableless = false;

  /**
   * Opens the journal of a storage migrated to JOURNAL_SCHEMA. `created`: the object has no page
   * yet, so there is none to read: its table was just created (true), or is created with the
   * first page by the function given (a new object's, `deferredCreation`).
   */
  constructor(
    private readonly sql: SqlStorage,
    created: boolean | (() => number) = false,
  ) {
    if (created) this.state = emptyState();
    if (typeof created === "function") {
      this.creator = created;
      this.tableless = true;
    }
  }

  /**
   * The object had stored nothing when this instance opened it (`creator` given), so it had no
   * alarm either: whatever alarm it has, this instance set.
   */
  get newObject(): boolean {
    return this.creator !== null;
  }

  /**
   * Operations not yet recorded in the run row: they are added to its `cost` whenever a page is
   * written anyway, so counting costs no write of its own.
   */
  private unrecorded: RunCost = { ...ZERO_COST };

  /** Counts operations of the run (requests, queue messages, the tenant's share). */
  addCost(c: Partial<RunCost>): void {
    this.unrecorded = addCosts(this.unrecorded, c);
  }

  /** Rows the run object has written for the run (from its cost record). */
  get rowsWritten(): number {
    return this.cost().run_rows;
  }

  /** Everything the run has cost so far: what the pages record and what they do not yet. */
  cost(): RunCost {
    return addCosts(this.run()?.cost, this.unrecorded);
  }

  private load(): State {
    if (this.state) return this.state;
    const state = emptyState();
    // Pages are numbered 1, 2, ... with no gap: written one after another, never deleted.
    for (const row of this.sql.exec("SELECT last_seq, patch FROM journal ORDER BY n")) {
      applyPatch(state, JSON.parse(row.patch as string) as Patch);
      state.pageLast.push(row.last_seq as number);
    }
    this.state = state;
    return state;
  }

  private change(patch: Patch): void {
    applyPatch(this.load(), patch);
    this.pendingPatch = mergePatches(this.pendingPatch, patch);
  }

  /** The run row, or null before `insertRun`, with the changes of the open transaction. */
  run(): RunRow | null {
    return this.load().run;
  }

  insertRun(
    r: Omit<
      RunRow,
      | "output"
      | "error"
      | "plan"
      | "plan_attempts"
      | "usage"
      | "spent"
      | "fee_charged"
      | "started_at"
      | "finished_at"
      | "attempts"
      | "gen"
      | "lease_token"
      | "lease_until"
      | "lease_worker"
      | "not_before"
      | "wake_at"
      | "version"
      | "synced_version"
      | "next_seq"
      | "charges_synced"
      | "retries"
      | "resolution"
      | "cost"
    >,
  ): void {
    if (this.run()) throw new Error("run already initialised");
    const run: RunRow = {
      ...r,
      output: null,
      error: null,
      plan: null,
      plan_attempts: 0,
      usage: ZERO_USAGE,
      spent: 0,
      fee_charged: 0,
      started_at: null,
      finished_at: null,
      attempts: 1,
      gen: 1,
      lease_token: null,
      lease_until: null,
      lease_worker: null,
      not_before: null,
      wake_at: null,
      version: 1,
      synced_version: 0,
      next_seq: 1,
      charges_synced: 0,
      retries: 0,
      resolution: null,
      cost: null,
    };
    this.change({ run });
  }

  /** Changes columns of the run row; the transaction's page records them (`flush()`). */
  updateRun(patch: Partial<RunRow>): void {
    if (!this.run()) throw new Error("run not initialised");
    this.change({ run: patch });
  }

  /**
   * Lets the open transaction's page wait in memory instead of being written when it ends: the
   * next transaction's page holds both, as one row. Until then the state and events are this
   * instance's only, so an eviction forgets them (RunEngine.claim says when that is acceptable,
   * and the run object writes a waiting page before anything of it leaves the object).
   */
  defer(): void {
    this.deferring = true;
  }

  /** Whether a deferred page waits in memory. */
  get held(): boolean {
    return this.waiting;
  }

  /**
   * Writes the open transaction's page: its events and its patch, with the operations counted so
   * far, its own row included, in the run's cost. One row, however much the transition changed,
   * a deferred page before it included.
   */
  flush(): void {
    const state = this.load();
    const deferred = this.deferring;
    this.deferring = false;
    if (isEmpty(this.pendingPatch) && this.pendingEvents.length === 0) return;
    if (deferred) {
      this.waiting = true;
      return;
    }
    if (this.tableless && this.creator) this.addCost({ run_rows: this.creator() });
    const run = state.run;
    if (run) this.change({ run: { cost: addCosts(run.cost, this.unrecorded, { run_rows: 1 }) } });
    const n = state.pageLast.length + 1;
    const last = run ? run.next_seq - 1 : 0;
    const events = this.pendingEvents.length > 0 ? JSON.stringify(this.pendingEvents) : null;
    const cursor = this.sql.exec(
      "INSERT INTO journal (n, last_seq, events, patch) VALUES (?, ?, ?, ?)",
      n,
      last,
      events,
      JSON.stringify(this.pendingPatch),
    );
    cursor.toArray();
    this.tableless = false;
    state.pageLast.push(last);
    this.pendingPatch = {};
    this.pendingEvents = [];
    this.waiting = false;
    // The page itself was counted above as one.
    this.unrecorded = { ...ZERO_COST, run_rows: cursor.rowsWritten - 1 };
  }

  /**
   * Forgets the transaction's changes (it threw, so SQLite rolled them back, the page too if it
   * was written), a deferred page's with them, as an eviction would: the state is read back from
   * the pages on next use.
   */
  discard(): void {
    this.unrecorded = { ...ZERO_COST };
    this.pendingPatch = {};
    this.pendingEvents = [];
    this.deferring = false;
    this.waiting = false;
    this.state = null;
    // A new object's table created in the transaction went with it: still no page to read.
    if (this.creator && !hasTable(this.sql, "journal")) {
      this.tableless = true;
      this.state = emptyState();
    }
  }

  /** Adds plan steps numbered from `after + 1` (after the steps a replan keeps); an existing index is kept. */
  insertSteps(plan: PlanStep[], after = 0): void {
    const have = this.load().steps;
    const steps: Record<string, StepRow> = {};
    plan.forEach((s, i) => {
      const idx = after + i + 1;
      if (!have.has(idx)) steps[idx] = newStep(idx, s);
    });
    this.change({ steps });
  }

  /** Deletes the steps from `idx` on (a corrected retry plans them again), with their unflushed changes. */
  deleteStepsFrom(idx: number): void {
    this.change({ cut: idx });
  }

  /** Steps in order. */
  steps(): StepRow[] {
    return [...this.load().steps.values()].sort((a, b) => a.idx - b.idx);
  }

  step(idx: number): StepRow | null {
    return this.load().steps.get(idx) ?? null;
  }

  /** Changes a step; the transaction's page records it. */
  updateStep(idx: number, patch: Partial<StepRow>): void {
    if (!this.load().steps.has(idx)) return;
    this.change({ steps: { [idx]: patch } });
  }

  /**
   * Appends events with consecutive seqs to the transaction's page; returns them as they will be
   * stored. A transition's events commit together, so a page is never partly written.
   */
  append(events: NewEvent[], now: number): RunEvent[] {
    const run = this.run();
    if (!run || events.length === 0) return [];
    const ts = new Date(now).toISOString();
    const out: RunEvent[] = events.map((e, i) => ({
      seq: run.next_seq + i,
      ts,
      type: e.type,
      level: e.level,
      message: e.message,
      ...(e.data === undefined ? {} : { data: e.data }),
    }));
    this.pendingEvents.push(...out);
    this.updateRun({ next_seq: out[out.length - 1]!.seq + 1 });
    return out;
  }

  /** Events with seq > after, at most `limit`, in order (the open transaction's included). */
  events(after: number, limit: number): RunEvent[] {
    const { pageLast } = this.load();
    // The first page reaching past `after`: pages' last seqs only grow.
    let lo = 0;
    let hi = pageLast.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (pageLast[mid]! > after) hi = mid;
      else lo = mid + 1;
    }
    const out: RunEvent[] = [];
    if (lo < pageLast.length) {
      // Every page with events holds at least one, so `limit` of them are enough.
      const pages = this.sql.exec("SELECT events FROM journal WHERE n >= ? AND events IS NOT NULL ORDER BY n LIMIT ?", lo + 1, limit);
      for (const page of pages) {
        for (const e of JSON.parse(page.events as string) as RunEvent[]) if (e.seq > after && out.length < limit) out.push(e);
      }
    }
    for (const e of this.pendingEvents) if (e.seq > after && out.length < limit) out.push(e);
    return out;
  }

  /**
   * Records charges not yet applied to the tenant ledger. Keys are unique by construction (run,
   * attempt, unit, unit attempt, call) and a commit is applied once; the tenant ledger dedupes by
   * key in any case.
   */
  addCharges(charges: { key: string; amount: number }[]): void {
    if (charges.length > 0) this.change({ charges: charges.map((c) => ({ key: c.key, amount: c.amount })) });
  }

  /** Charges the tenant ledger has not acknowledged yet, with the count to acknowledge them by. */
  unsettledCharges(): { charges: { key: string; amount: number }[]; through: number } {
    const { charges, run } = this.load();
    return { charges: charges.slice(run?.charges_synced ?? 0), through: charges.length };
  }

  /** Every charge of the run, acknowledged or not, in order. */
  allCharges(): { key: string; amount: number }[] {
    return [...this.load().charges];
  }

  /** The run's approvals in order. */
  approvals(): ApprovalRow[] {
    return [...this.load().approvals.values()].sort((a, b) => a.n - b.n);
  }

  /** Adds or changes an approval; the transaction's page records it. */
  putApproval(n: number, patch: Partial<ApprovalRow>): void {
    this.change({ approvals: { [n]: patch } });
  }

  /** Stores a stream ticket (its own page; expired tickets are dropped with it). */
  addTicket(ticket: string, expiresAt: number): void {
    const now = Date.now();
    const tickets: Record<string, number | null> = { [ticket]: expiresAt };
    for (const [t, at] of this.load().tickets) if (at < now) tickets[t] = null;
    this.change({ tickets });
    this.flush();
  }

  /** Consumes a ticket: true once, if it exists and has not expired. */
  takeTicket(ticket: string, now: number): boolean {
    const at = this.load().tickets.get(ticket);
    if (at === undefined) return false;
    this.change({ tickets: { [ticket]: null } });
    this.flush();
    return at > now;
  }
}
