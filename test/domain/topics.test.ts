// The topic of every event type: the runtime's own, what agents emit, and what no rule names.

import { describe, expect, it } from "vitest";
import { isTopic, TOPICS, topicOf } from "../../src/domain/topics";

const TABLE: [type: string, topic: string][] = [
  ["run.succeeded", "ai.completions"],
  ["run.failed", "ai.errors"],
  ["run.dead", "ai.errors"],
  ["decision.made", "ai.decisions"],
  ["decision.route.selected", "ai.decisions"],
  ["approval.requested", "hitl.requests"],
  ["approval.decided", "hitl.decisions"],
  ["run.resolved", "hitl.decisions"],
  ["feedback.created", "hitl.feedback"],
  ["order.refunded", "domain.orders"],
  ["order.created", "domain.orders"],
  ["customer.updated", "domain.customers"],
  ["product.price_changed", "domain.products"],
  ["inventory.low_stock", "domain.products"],
  ["lead.qualified", "domain.leads"],
  ["content.publish", "domain.content"],
  ["audit.recorded", "audit.trail"],
  ["audit.key_revoked", "audit.trail"],
  ["metric.revenue", "analytics.metrics"],
  ["email.send", "domain.other"],
  ["run.canceled", "domain.other"],
  ["orders.created", "domain.other"],
  ["decision", "domain.other"],
  ["metrics.daily", "domain.other"],
];

describe("topicOf", () => {
  it.each(TABLE)("%s → %s", (type, topic) => {
    expect(topicOf(type)).toBe(topic);
  });

  it("every topic but domain.other is reached by some type of the table, and every answer is a topic", () => {
    const reached = new Set(TABLE.map(([type]) => topicOf(type)));
    expect([...reached].sort()).toEqual([...TOPICS].sort());
    for (const [type] of TABLE) expect(isTopic(topicOf(type))).toBe(true);
  });

  it("isTopic knows the fourteen topics and nothing else", () => {
    expect(TOPICS).toHaveLength(14);
    expect(isTopic("domain.orders")).toBe(true);
    expect(isTopic("domain")).toBe(false);
    expect(isTopic("Domain.Orders")).toBe(false);
  });
});
