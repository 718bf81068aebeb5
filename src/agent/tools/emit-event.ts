// The `emit_event` tool: writes a domain event (e.g. `order.refunded`) to the tenant's event log,
// from where webhooks deliver it (docs/api.md, Domain events).

import type { ToolDefinition } from "./tool";

/** Largest `data` of an emitted event (16 KB as JSON). */
export const MAX_EVENT_DATA_BYTES = 16 * 1024;

/** Event types: dotted lower-case words, e.g. `order.refunded`; at most 64 characters. */
export const EVENT_TYPE_PATTERN = /^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$/;

// The runtime's own events (run lifecycle, approvals, feedback, the audit trail); an agent may not
// forge them, nor so reach the topics that carry them (src/domain/topics.ts).
const RESERVED_PREFIXES = ["run.", "approval.", "feedback.", "audit."];

/** `emit_event {type, data}` → `{id}` of the stored domain event. */
export const EMIT_EVENT: ToolDefinition = {
  name: "emit_event",
  description: "Record a business event (for example order.refunded or content.publish) for the tenant's systems. Returns {id}.",
  input_schema: {
    type: "object",
    properties: {
      type: { type: "string", minLength: 1, maxLength: 64, description: "Dotted lower-case name, e.g. order.refunded." },
      data: { description: "Any JSON value describing the event." },
    },
    required: ["type", "data"],
    additionalProperties: false,
  },
  async run(raw, ctx) {
    const { type, data } = raw as { type: string; data: unknown };
    if (!EVENT_TYPE_PATTERN.test(type)) return { ok: false, error: `event type ${JSON.stringify(type)} must be dotted lower-case words` };
    if (RESERVED_PREFIXES.some((p) => type.startsWith(p))) {
      return { ok: false, error: `event types starting with ${RESERVED_PREFIXES.join(", ")} are reserved for the runtime` };
    }
    const size = new TextEncoder().encode(JSON.stringify(data)).byteLength;
    if (size > MAX_EVENT_DATA_BYTES) return { ok: false, error: `event data is ${size} bytes as JSON; at most ${MAX_EVENT_DATA_BYTES}` };
    const event = await ctx.services.emitEvent({ type, data, run_id: ctx.runId, agent: ctx.agent.name });
    return { ok: true, value: { id: event.id } };
  },
};
