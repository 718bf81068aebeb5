// What people do to a tenant's runs, kept by the tenant object: the audit trail and feedback. Each
// audit entry and each feedback is also a domain event (`audit.recorded`, `feedback.created`).

import type { Actor } from "../domain/actor";
import { type AuditEntry, type AuditRecord, AuditStore } from "./audit-store";
import type { DomainEvents } from "./domain-events";
import { FeedbackStore, type FeedbackView, type NewFeedback } from "./feedback-store";

export class PeopleRecords {
  readonly audit: AuditStore;
  readonly feedback: FeedbackStore;

  /** Opens the stores of a storage already migrated to AUDIT_SCHEMA and FEEDBACK_SCHEMA. */
  constructor(
    sql: SqlStorage,
    private readonly domain: DomainEvents,
  ) {
    this.audit = new AuditStore(sql);
    this.feedback = new FeedbackStore(sql);
  }

  /** Appends an audit entry and its `audit.recorded` event. Call inside the change's transaction. */
  record(r: AuditRecord, now: number): AuditEntry {
    const entry = this.audit.append(r, now);
    // No run_id: an entry is the tenant's, never sent to a run's own webhook (its target names the run).
    this.domain.emit({ type: "audit.recorded", run_id: null, agent: null, data: entry, dedup: `audit:${entry.id}` }, now);
    return entry;
  }

  /** Records a feedback, its `feedback.created` event and its audit entry. Call inside a transaction. */
  addFeedback(f: NewFeedback, now: number): FeedbackView {
    const view = this.feedback.add(f, now);
    this.domain.emit({ type: "feedback.created", run_id: f.run_id, agent: f.agent, data: view, dedup: `feedback:${view.id}` }, now);
    this.record(
      {
        actor: f.actor,
        action: "feedback.created",
        target: { type: "feedback", id: view.id },
        details: { run_id: f.run_id, rating: f.rating, ...(f.step === null ? {} : { step: f.step }) },
      },
      now,
    );
    return view;
  }
}

/** A webhook URL as the trail shows it: without credentials or query, which may carry secrets. */
export function auditUrl(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.host}${u.pathname}`;
}

/** The audit record of an actor's change, or nothing when no actor is given (internal callers). */
export function change(actor: Actor | undefined, r: Omit<AuditRecord, "actor">): AuditRecord | null {
  return actor ? { ...r, actor } : null;
}
