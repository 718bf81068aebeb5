// Domain events of a tenant: which run transitions and approvals become events, written once,
// and which webhook targets each event is delivered to.

import type { ApprovalView } from "../run/view";
import { ApprovalsIndex } from "./approvals-index";
import { type DomainEvent, EventsStore } from "./events-store";
import type { RunSync } from "./protocol";
import type { Delivery, DeliveryTarget } from "./webhooks-store";
import { WebhooksStore } from "./webhooks-store";

/** Run statuses that concern a tenant's own systems (docs/api.md, Domain events). */
const RUN_EVENT_STATUSES = new Set(["succeeded", "failed", "dead"]);

/**
 * Audit entries are delivered only to a webhook that names them (`audit.recorded` or `audit.*`):
 * a subscription to every event means the run and domain events, not the trail of every change.
 */
const isAudit = (type: string): boolean => type.startsWith("audit.");

export class DomainEvents {
  readonly events: EventsStore;
  readonly webhooks: WebhooksStore;
  readonly approvals: ApprovalsIndex;

  constructor(
    sql: SqlStorage,
    private readonly runWebhook: (runId: string) => string | null,
  ) {
    this.events = new EventsStore(sql);
    this.webhooks = new WebhooksStore(sql);
    this.approvals = new ApprovalsIndex(sql);
  }

  /** Writes an event once (by `dedup`) and a pending delivery for each interested target. */
  emit(e: { type: string; run_id: string | null; agent: string | null; data: unknown; dedup: string | null }, now: number): DomainEvent {
    const ev = this.events.append(e, now);
    const hook = this.webhooks.webhook();
    if (hook && WebhooksStore.wants(hook, ev.type) && (!isAudit(ev.type) || hook.events.some(isAudit)))
      this.webhooks.addDelivery(ev.id, "tenant", hook.url);
    const own = ev.run_id ? this.runWebhook(ev.run_id) : null;
    if (own) this.webhooks.addDelivery(ev.id, "run", own);
    return ev;
  }

  /** The events a run sync implies: approvals requested or decided, and the run's outcome. */
  onRunSync(s: RunSync, now: number): void {
    for (const a of this.approvals.upsert(s.approvals)) this.onApproval(a, s.agent, now);
    if (RUN_EVENT_STATUSES.has(s.status)) {
      this.emit(
        {
          type: `run.${s.status}`,
          run_id: s.id,
          agent: s.agent,
          data: {
            run_id: s.id,
            agent: s.agent,
            status: s.status,
            attempt: s.attempt,
            output: s.output ?? null,
            error: s.error,
            credits_spent: s.spent,
          },
          dedup: `${s.id}:${s.attempt}:${s.status}`,
        },
        now,
      );
    }
    // A run is resolved at most once per attempt (a retry clears its resolution).
    if (s.resolution) {
      const data = { run_id: s.id, agent: s.agent, status: s.status, attempt: s.attempt, error: s.error, resolution: s.resolution };
      this.emit({ type: "run.resolved", run_id: s.id, agent: s.agent, data, dedup: `${s.id}:${s.attempt}:resolved` }, now);
    }
  }

  private onApproval(a: ApprovalView, agent: string, now: number): void {
    const common = { run_id: a.run_id, agent };
    this.emit(
      {
        type: "approval.requested",
        ...common,
        data: { ...a, status: "pending", decision: null, decided_at: null, comment: null },
        dedup: `${a.id}:requested`,
      },
      now,
    );
    if (a.status !== "pending") this.emit({ type: "approval.decided", ...common, data: a, dedup: `${a.id}:decided` }, now);
  }

  /** Events after a cursor with their delivery state. */
  list(after: number, limit: number): { events: (DomainEvent & { deliveries: Delivery[] })[]; next_after: number } {
    const page = this.events.list(after, limit);
    const deliveries = this.webhooks.deliveriesOf(page.events.map((e) => e.id));
    return { events: page.events.map((e) => ({ ...e, deliveries: deliveries.get(e.id) ?? [] })), next_after: page.next_after };
  }

  /** What the events consumer needs to deliver one event to one target, or null if done. */
  deliveryFor(eventId: string, target: DeliveryTarget): { url: string; body: string; attempts: number } | null {
    const d = this.webhooks.delivery(eventId, target);
    if (d?.status !== "pending") return null;
    const ev = this.events.get(eventId);
    if (!ev) return null;
    return { url: d.url, body: JSON.stringify(ev), attempts: d.attempts };
  }
}
