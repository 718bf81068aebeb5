// The `memory_get` and `memory_set` tools: a small key-value memory per tenant and agent that
// lasts across runs, kept in the tenant's Durable Object (docs/agents.md).

import { MAX_MEMORY_VALUE_BYTES } from "../../tenant/memory-store";
import type { ToolDefinition } from "./tool";

/** Longest memory key (200 characters). */
export const MAX_MEMORY_KEY_LENGTH = 200;

const KEY_SCHEMA = { type: "string", minLength: 1, maxLength: MAX_MEMORY_KEY_LENGTH };

/** `memory_get {key}` → `{key, found, value}`; `value` is null when nothing is stored. */
export const MEMORY_GET: ToolDefinition = {
  name: "memory_get",
  description: "Read a value this agent stored earlier (in this or an earlier run) under a key. Returns {key, found, value}.",
  input_schema: { type: "object", properties: { key: KEY_SCHEMA }, required: ["key"], additionalProperties: false },
  async run(raw, ctx) {
    const { key } = raw as { key: string };
    const value = await ctx.services.memoryGet(ctx.agent.name, key);
    return { ok: true, value: { key, found: value !== null && value !== undefined, value: value ?? null } };
  },
};

/** `memory_set {key, value}` → `{key, stored: true}`; a value over 16 KB (as JSON) is refused. */
export const MEMORY_SET: ToolDefinition = {
  name: "memory_set",
  description: `Store a JSON value under a key for this agent's later steps and runs (at most ${MAX_MEMORY_VALUE_BYTES} bytes as JSON). Overwrites.`,
  input_schema: {
    type: "object",
    properties: { key: KEY_SCHEMA, value: { description: "Any JSON value." } },
    required: ["key", "value"],
    additionalProperties: false,
  },
  async run(raw, ctx) {
    const { key, value } = raw as { key: string; value: unknown };
    const size = new TextEncoder().encode(JSON.stringify(value)).byteLength;
    if (size > MAX_MEMORY_VALUE_BYTES) {
      return { ok: false, error: `the value is ${size} bytes as JSON; memory values may be at most ${MAX_MEMORY_VALUE_BYTES} bytes` };
    }
    await ctx.services.memorySet(ctx.agent.name, key, value);
    return { ok: true, value: { key, stored: true } };
  },
};
