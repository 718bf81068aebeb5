// A run's approvals: requests for a person's decision on a tool call, kept in the run's journal.
// Ids embed the run id (`apr_<run suffix>_<n>`) so an approval finds its run without a lookup.

import type { ApprovalRow, Journal } from "./journal";
import type { ApprovalView } from "./view";

/** The approval id for the n-th approval of a run. */
export function approvalId(runId: string, n: number): string {
  return `apr_${runId.slice(4)}_${n}`;
}

/** The run an approval id belongs to, or null when it is not an approval id. */
export function approvalRun(id: string): string | null {
  const m = /^apr_([0-9a-z]{21})_[0-9]{1,6}$/.exec(id);
  return m ? `run_${m[1]}` : null;
}

export class ApprovalStore {
  /** The approvals of the run `journal` holds. */
  constructor(private readonly journal: Journal) {}

  create(runId: string, a: { step: number; tool: string; input: unknown; reason: string; expiresAt: number }, now: number): ApprovalView {
    const n = (this.journal.approvals().at(-1)?.n ?? 0) + 1;
    const id = approvalId(runId, n);
    this.journal.putApproval(n, {
      n,
      id,
      step: a.step,
      tool: a.tool,
      input: a.input ?? null,
      reason: a.reason.slice(0, 1000),
      status: "pending",
      expires_at: a.expiresAt,
      decided_at: null,
      decision: null,
      comment: null,
      created_at: now,
    });
    return this.get(runId, id)!;
  }

  get(runId: string, id: string): ApprovalView | null {
    const r = this.journal.approvals().find((a) => a.id === id);
    return r ? this.view(runId, r) : null;
  }

  all(runId: string): ApprovalView[] {
    return this.journal.approvals().map((r) => this.view(runId, r));
  }

  pending(runId: string): ApprovalView[] {
    return this.journal
      .approvals()
      .filter((a) => a.status === "pending")
      .map((r) => this.view(runId, r));
  }

  /** The earliest expiry among pending approvals, or null. */
  nextExpiry(): number | null {
    const times = this.journal
      .approvals()
      .filter((a) => a.status === "pending")
      .map((a) => a.expires_at);
    return times.length > 0 ? Math.min(...times) : null;
  }

  decide(id: string, status: "approved" | "rejected" | "expired", comment: string | null, input: unknown, now: number): void {
    const a = this.journal.approvals().find((x) => x.id === id);
    if (!a) return;
    const decision = status === "approved" ? "approve" : "reject";
    this.journal.putApproval(a.n, { status, decision, comment, decided_at: now, ...(input === undefined ? {} : { input }) });
  }

  private view(runId: string, r: ApprovalRow): ApprovalView {
    const iso = (v: number | null) => (v === null ? null : new Date(v).toISOString());
    return {
      id: r.id,
      run_id: runId,
      step: r.step,
      tool: r.tool,
      input: r.input ?? null,
      reason: r.reason,
      status: r.status,
      expires_at: iso(r.expires_at)!,
      decided_at: iso(r.decided_at),
      decision: r.decision ?? null,
      comment: r.comment ?? null,
    };
  }
}
