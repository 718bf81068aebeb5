// Topics: the channel each domain event belongs to, derived from its type alone, so every event,
// stored or delivered, old or new, has exactly one (docs/api.md, Topics).

/** Every topic, in the order docs/api.md lists them. */
export const TOPICS = [
  "ai.completions",
  "ai.errors",
  "ai.decisions",
  "hitl.requests",
  "hitl.decisions",
  "hitl.feedback",
  "domain.orders",
  "domain.customers",
  "domain.products",
  "domain.leads",
  "domain.content",
  "audit.trail",
  "analytics.metrics",
  "domain.other",
] as const;

export type Topic = (typeof TOPICS)[number];

/** Runtime event types with a topic of their own. */
const EXACT: Readonly<Record<string, Topic>> = {
  "run.succeeded": "ai.completions",
  "run.failed": "ai.errors",
  "run.dead": "ai.errors",
  "approval.requested": "hitl.requests",
  "approval.decided": "hitl.decisions",
  "run.resolved": "hitl.decisions",
  "feedback.created": "hitl.feedback",
};

/** Type prefixes (what an agent's `emit_event` and the audit trail write), first match wins. */
const PREFIXES: readonly (readonly [string, Topic])[] = [
  ["decision.", "ai.decisions"],
  ["order.", "domain.orders"],
  ["customer.", "domain.customers"],
  ["product.", "domain.products"],
  ["inventory.", "domain.products"],
  ["lead.", "domain.leads"],
  ["content.", "domain.content"],
  ["audit.", "audit.trail"],
  ["metric.", "analytics.metrics"],
];

/** The topic of an event type; `domain.other` for any type no rule names. */
export function topicOf(type: string): Topic {
  const exact = EXACT[type];
  if (exact) return exact;
  for (const [prefix, topic] of PREFIXES) if (type.startsWith(prefix)) return topic;
  return "domain.other";
}

const KNOWN = new Set<string>(TOPICS);

export function isTopic(s: string): s is Topic {
  return KNOWN.has(s);
}
