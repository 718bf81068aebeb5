// Schemas of the agents API: a custom agent definition as sent, and an agent profile as shown.
// The definition's shape is checked here; what depends on other fields or on the deployment (known
// tool names, host patterns, tool URLs, defaults of a built-in) is checked by parseAgent.

import { z } from "@hono/zod-openapi";
import {
  AGENT_NAME_PATTERN,
  MAX_AGENT_CREDITS,
  MAX_ALLOWED_HOSTS,
  MAX_HTTP_TOOLS,
  MAX_SYSTEM_PROMPT_BYTES,
  MAX_TTL_SECONDS,
} from "../../agent/agent-schema";
import { Priority } from "./runs";

const bytes = (s: string) => new TextEncoder().encode(s).byteLength;

function intIn(min: number, max: number) {
  const msg = `must be an integer from ${min} to ${max}`;
  return z.number({ error: msg }).int({ error: msg }).min(min, { error: msg }).max(max, { error: msg });
}

/** A list of strings, at most `max` of them when given (other bounds are parseAgent's). */
function strings(max?: number) {
  const list = z.array(z.string({ error: "must be a list of strings" }), { error: "must be a list of strings" });
  return max === undefined ? list : list.max(max, { error: `must have at most ${max} entries` });
}

const required = "is required and must be a non-empty string";

export const HttpToolDefinition = z
  .strictObject(
    {
      name: z
        .string({ error: "must match ^[a-zA-Z0-9_-]{1,64}$" })
        .regex(/^[a-zA-Z0-9_-]{1,64}$/, { error: "must match ^[a-zA-Z0-9_-]{1,64}$" }),
      description: z
        .string({ error: required })
        .refine((s) => s.trim() !== "", { error: required })
        .refine((s) => bytes(s) <= 1024, { error: "must be at most 1024 bytes" }),
      input_schema: z.record(z.string(), z.unknown()).openapi({ description: "JSON Schema of the tool input (at most 16 KB)" }),
      url: z.string({ error: "is required and must be a URL" }).openapi({ format: "uri" }),
      requires_approval: z.boolean({ error: "must be a boolean" }).optional(),
    },
    { error: "must be an object {name, description, input_schema, url, requires_approval?}" },
  )
  .openapi("HttpToolDefinition", { description: "A tenant tool called as a signed POST of its input" });

export const AgentDefinition = z
  .strictObject({
    name: z.string().optional().openapi({ description: "Must equal the name in the path when given" }),
    description: z
      .string({ error: "must be a string" })
      .refine((s) => bytes(s) <= 1024, { error: "must be at most 1024 bytes" })
      .optional(),
    system_prompt: z
      .string({ error: required })
      .refine((s) => s.trim() !== "", { error: required })
      .refine((s) => bytes(s) <= MAX_SYSTEM_PROMPT_BYTES, { error: `must be at most ${MAX_SYSTEM_PROMPT_BYTES} bytes` }),
    model: z.string({ error: "must be a model id such as claude-sonnet-5-5" }).nullable().optional().openapi({
      description: "Model id; empty: the deployment's model",
    }),
    tools: strings().optional().openapi({ description: "Built-in tools the agent may call" }),
    max_steps: intIn(1, 50).optional(),
    max_credits: intIn(1, MAX_AGENT_CREDITS).optional(),
    default_priority: Priority.optional(),
    ttl_seconds: intIn(1, MAX_TTL_SECONDS).optional().openapi({ description: "A run not started within this expires" }),
    approval: z
      .strictObject({ tools: strings().optional() }, { error: "must be an object {tools?: [...]}" })
      .optional()
      .openapi({ description: "Tools whose calls wait for a person (request_approval always does)" }),
    approval_ttl_seconds: intIn(1, MAX_TTL_SECONDS).optional(),
    allowed_hosts: strings(MAX_ALLOWED_HOSTS).optional().openapi({ description: "Hosts http_request may reach (`*.example.com` allowed)" }),
    http_tools: z
      .array(HttpToolDefinition, { error: "must be a list" })
      .max(MAX_HTTP_TOOLS, { error: `must have at most ${MAX_HTTP_TOOLS} tools` })
      .optional(),
  })
  .openapi("AgentDefinition", { description: "Omitted fields take the built-in agent's values of that name, else `general`'s" });

export const Agent = z
  .object({
    name: z.string(),
    builtin: z.boolean(),
    description: z.string(),
    system_prompt: z.string(),
    model: z.string(),
    tools: z.array(z.string()),
    max_steps: z.number().int(),
    max_credits: z.number().int(),
    default_priority: Priority,
    ttl_seconds: z.number().int(),
    approval: z.object({ tools: z.array(z.string()), tool_prefixes: z.array(z.string()), event_types: z.array(z.string()) }),
    approval_ttl_seconds: z.number().int(),
    allowed_hosts: z.array(z.string()),
    http_tools: z.array(
      z.object({
        name: z.string(),
        description: z.string(),
        input_schema: z.record(z.string(), z.unknown()),
        url: z.string(),
        requires_approval: z.boolean(),
      }),
    ),
  })
  .openapi("Agent");

export const AgentNameParams = z.object({
  name: z
    .string()
    .openapi({ param: { name: "name", in: "path" }, pattern: AGENT_NAME_PATTERN.source, description: "An agent name", example: "general" }),
});
