// Domain events of a tenant: which run transitions and approvals become events, written once,
// and which webhook targets each event is delivered to.

import { type Topic, topicOf } from "../domain/topics";
import type { ApprovalView } from "../run/view";
import { ApprovalsIndex } from "./approvals-index";
import { type DomainEvent, EventsStore } from "./events-store";
import type { RunSync } from "./protocol";
import type { Delivery, DeliveryTarget } from "./webhooks-store";
import { WebhooksStore } from "./webhooks-store";

/** Run statuses that concern a tenant's own systems (docs/api.md, Domain events). */
const RUN_EVENT_STATUSES = new Set(["succeeded", "failed", "dead"]);

/**
 * Audit entries are delivered only to a webhook that names them (`audit.recorded`, `audit.*` or
 * the topic `audit.trail`):
 * a subscription to every event means the run and domain events, not the trail of every change.
 */
const isAudit = (type: string): boolean => type.startsWith("audit.");

/** What a run's index row held before a sync, and whether the sync was applied to it. */
export interface SeenInIndex {
  status: string;
  attempt: number;
  /** The row had a resolution. */
  resolved: boolean;
  /** The run's own webhook URL, if it was created with one. */
  webhook_url: string | null;
  applied: boolean;
}

export class DomainEvents {
  readonly events: EventsStore;
  readonly webhooks: WebhooksStore;
  readonly approvals: ApprovalsIndex;

  constructor(
    sql: SqlStorage,
    private readonly runWebhook: (runId: string) => string | null,
    /** Told after each event written (the live stream sends what was committed). */
    private readonly appended: () => void = () => {},
  ) {
    this.events = new EventsStore(sql);
    this.webhooks = new WebhooksStore(sql);
    this.approvals = new ApprovalsIndex(sql);
  }

  /**
   * Writes an event once (by `dedup`; `fresh` when the caller knows it is new) and a pending
   * delivery for each interested target. `runHook` is the run's own webhook URL when the caller
   * has read it (undefined: looked up here).
   */
  emit(
    e: { type: string; run_id: string | null; agent: string | null; data: unknown; dedup: string | null },
    now: number,
    fresh = false,
    runHook?: string | null,
  ): DomainEvent {
    const hook = this.webhooks.webhook();
    const topic = topicOf(e.type);
    const toTenant =
      hook !== null &&
      WebhooksStore.wants(hook, { type: e.type, topic }) &&
      (!isAudit(e.type) || hook.events.some(isAudit) || hook.topics.includes("audit.trail"));
    const own = e.run_id ? (runHook === undefined ? this.runWebhook(e.run_id) : runHook) : null;
    const ev = this.events.append(e, now, { fresh, findable: toTenant || own !== null });
    this.appended();
    if (toTenant) this.webhooks.addDelivery(ev.id, "tenant", hook.url);
    if (own) this.webhooks.addDelivery(ev.id, "run", own);
    return ev;
  }

  /**
   * The events a run sync implies: approvals requested or decided, and the run's outcome. `seen`
   * is what the run index held before this sync (null when it has no row for the run): a sync
   * it applied and that changed the run's status or attempt (or brought its resolution) writes
   * the event without looking it up, as the index row is written once per change; a sync it did
   * not apply (the same state again, or an older one) writes none. Without a row, each event is
   * written once by its dedup key.
   */
  onRunSync(s: RunSync, now: number, seen: SeenInIndex | null = null): void {
    for (const a of this.approvals.upsert(s.approvals)) this.onApproval(a, s.agent, now);
    const changed = seen === null || (seen.applied && (seen.status !== s.status || seen.attempt !== s.attempt));
    if (RUN_EVENT_STATUSES.has(s.status) && changed) {
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
        seen !== null,
        seen?.webhook_url,
      );
    }
    // A run is resolved at most once per attempt (a retry clears its resolution).
    const resolved = seen === null || (seen.applied && !(seen.resolved && seen.attempt === s.attempt));
    if (s.resolution && resolved) {
      const data = { run_id: s.id, agent: s.agent, status: s.status, attempt: s.attempt, error: s.error, resolution: s.resolution };
      const e = { type: "run.resolved", run_id: s.id, agent: s.agent, data, dedup: `${s.id}:${s.attempt}:resolved` };
      this.emit(e, now, seen !== null, seen?.webhook_url);
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

  /** Events after a cursor (of the given topics, when some are) with their delivery state. */
  list(
    after: number,
    limit: number,
    topics: readonly Topic[] | null = null,
  ): { events: (DomainEvent & { deliveries: Delivery[] })[]; next_after: number } {
    const page = this.events.list(after, limit, topics);
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
