// Validation of a custom agent definition (`PUT /v1/agents/:name`) into an agent profile. Every
// problem names its field. Omitted fields take the values of the built-in agent of that name, or
// of `general` for a new name.

import { type AgentProfile, type HttpTool, PRIORITIES, type Priority } from "../domain/types";
import { checkOutboundUrl, isHostPattern } from "../domain/url-policy";
import { BUILTIN_AGENTS } from "./agents";
import { toolSchemaProblem } from "./json-schema-check";
import { builtinToolNames, PROTOCOL_TOOL_NAMES } from "./tools";

/** Agent names: lower-case letters, digits, `-` and `_`, 1..64, starting with a letter or digit. */
export const AGENT_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;
/** Largest system prompt (32 KB, UTF-8). */
export const MAX_SYSTEM_PROMPT_BYTES = 32 * 1024;
/** Largest HTTP tool `input_schema` (16 KB as JSON). */
export const MAX_INPUT_SCHEMA_BYTES = 16 * 1024;
/** Limits on list fields: `allowed_hosts` (50) and `http_tools` (20). */
export const MAX_ALLOWED_HOSTS = 50;
export const MAX_HTTP_TOOLS = 20;
/** Longest `ttl_seconds` and `approval_ttl_seconds` (30 days). */
export const MAX_TTL_SECONDS = 30 * 86_400;
/** Largest `max_credits` of an agent (1 000 000, as for a run). */
export const MAX_AGENT_CREDITS = 1_000_000;

const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;
const MODEL_ID = /^[A-Za-z0-9][A-Za-z0-9._:@/-]{0,127}$/;
const FIELDS = new Set([
  "name",
  "description",
  "system_prompt",
  "model",
  "tools",
  "max_steps",
  "max_credits",
  "default_priority",
  "ttl_seconds",
  "approval",
  "approval_ttl_seconds",
  "allowed_hosts",
  "http_tools",
]);
const HTTP_TOOL_FIELDS = new Set(["name", "description", "input_schema", "url", "requires_approval"]);

/** A validated profile, or the first problem found with the field it concerns. */
export type AgentParse = { ok: true; agent: AgentProfile } | { ok: false; field: string; message: string };

export interface AgentParseOptions {
  /** Development deployments accept `http:` and loopback tool URLs (ENVIRONMENT=development). */
  development: boolean;
}

class Invalid extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);
const bytes = (s: string) => new TextEncoder().encode(s).byteLength;

function int(v: unknown, field: string, min: number, max: number): number {
  if (!Number.isInteger(v) || (v as number) < min || (v as number) > max)
    throw new Invalid(field, `must be an integer from ${min} to ${max}`);
  return v as number;
}

function text(v: unknown, field: string, maxBytes: number, required: boolean): string {
  if (typeof v !== "string" || (required && v.trim() === ""))
    throw new Invalid(field, required ? "is required and must be a non-empty string" : "must be a string");
  if (bytes(v) > maxBytes) throw new Invalid(field, `must be at most ${maxBytes} bytes`);
  return v;
}

function stringList(v: unknown, field: string, max: number): string[] {
  if (!Array.isArray(v) || !v.every((x) => typeof x === "string")) throw new Invalid(field, "must be a list of strings");
  if (v.length > max) throw new Invalid(field, `must have at most ${max} entries`);
  const seen = new Set<string>();
  for (const [i, x] of v.entries()) {
    if (seen.has(x)) throw new Invalid(`${field}[${i}]`, `${JSON.stringify(x)} is listed twice`);
    seen.add(x);
  }
  return v as string[];
}

function parseHttpTool(v: unknown, i: number, opts: AgentParseOptions): HttpTool {
  const at = `http_tools[${i}]`;
  if (!isObject(v)) throw new Invalid(at, "must be an object {name, description, input_schema, url, requires_approval?}");
  for (const k of Object.keys(v)) if (!HTTP_TOOL_FIELDS.has(k)) throw new Invalid(`${at}.${k}`, "unknown field");
  if (typeof v.name !== "string" || !TOOL_NAME.test(v.name)) throw new Invalid(`${at}.name`, "must match ^[a-zA-Z0-9_-]{1,64}$");
  if (builtinToolNames().includes(v.name) || PROTOCOL_TOOL_NAMES.includes(v.name)) {
    throw new Invalid(`${at}.name`, `${v.name} is the name of a built-in tool`);
  }
  const description = text(v.description, `${at}.description`, 1024, true);
  if (bytes(JSON.stringify(v.input_schema ?? null)) > MAX_INPUT_SCHEMA_BYTES) {
    throw new Invalid(`${at}.input_schema`, `must be at most ${MAX_INPUT_SCHEMA_BYTES} bytes as JSON`);
  }
  const problem = toolSchemaProblem(v.input_schema);
  if (problem) throw new Invalid(`${at}.input_schema`, problem);
  if (typeof v.url !== "string") throw new Invalid(`${at}.url`, "is required and must be a URL");
  const url = checkOutboundUrl(v.url, { development: opts.development });
  if (!url.ok) throw new Invalid(`${at}.url`, url.error);
  if (v.requires_approval !== undefined && typeof v.requires_approval !== "boolean") {
    throw new Invalid(`${at}.requires_approval`, "must be a boolean");
  }
  return {
    name: v.name,
    description,
    input_schema: v.input_schema as Record<string, unknown>,
    url: url.url.href,
    requires_approval: v.requires_approval === true,
  };
}

function build(name: string, body: Record<string, unknown>, opts: AgentParseOptions): AgentProfile {
  if (!AGENT_NAME_PATTERN.test(name)) throw new Invalid("name", "must match ^[a-z0-9][a-z0-9_-]{0,63}$");
  for (const k of Object.keys(body)) if (!FIELDS.has(k)) throw new Invalid(k, "unknown field");
  if (body.name !== undefined && body.name !== name) throw new Invalid("name", "must equal the name in the URL (or be left out)");
  const base = BUILTIN_AGENTS[name] ?? (BUILTIN_AGENTS.general as AgentProfile);
  const b = body;
  const system_prompt = text(b.system_prompt, "system_prompt", MAX_SYSTEM_PROMPT_BYTES, true);
  const description =
    b.description === undefined ? (BUILTIN_AGENTS[name] ? base.description : "") : text(b.description, "description", 1024, false);
  let model = base.model;
  if (b.model !== undefined && b.model !== null && b.model !== "") {
    if (typeof b.model !== "string" || !MODEL_ID.test(b.model)) throw new Invalid("model", "must be a model id such as claude-sonnet-5-5");
    model = b.model;
  }
  const known = builtinToolNames();
  const tools = b.tools === undefined ? base.tools : stringList(b.tools, "tools", known.length);
  for (const [i, t] of tools.entries()) {
    if (!known.includes(t)) throw new Invalid(`tools[${i}]`, `unknown tool ${JSON.stringify(t)}; built-in tools: ${known.join(", ")}`);
  }
  if (b.default_priority !== undefined && !PRIORITIES.includes(b.default_priority as Priority)) {
    throw new Invalid("default_priority", "must be high, normal or low");
  }
  const allowed = b.allowed_hosts === undefined ? base.allowed_hosts : stringList(b.allowed_hosts, "allowed_hosts", MAX_ALLOWED_HOSTS);
  for (const [i, h] of allowed.entries()) {
    if (!isHostPattern(h)) {
      throw new Invalid(
        `allowed_hosts[${i}]`,
        `${JSON.stringify(h)} is not a lower-case host name (no scheme or port; *.example.com allowed)`,
      );
    }
  }
  if (b.http_tools !== undefined && !Array.isArray(b.http_tools)) throw new Invalid("http_tools", "must be a list");
  const raw = (b.http_tools as unknown[] | undefined) ?? [];
  if (raw.length > MAX_HTTP_TOOLS) throw new Invalid("http_tools", `must have at most ${MAX_HTTP_TOOLS} tools`);
  const http_tools = b.http_tools === undefined ? base.http_tools : raw.map((t, i) => parseHttpTool(t, i, opts));
  http_tools.forEach((t, i) => {
    if (http_tools.findIndex((o) => o.name === t.name) !== i) throw new Invalid(`http_tools[${i}].name`, `${t.name} is defined twice`);
  });
  let approvalTools = base.approval.tools;
  if (b.approval !== undefined) {
    if (!isObject(b.approval)) throw new Invalid("approval", "must be an object {tools?: [...]}");
    for (const k of Object.keys(b.approval)) if (k !== "tools") throw new Invalid(`approval.${k}`, "unknown field");
    if (b.approval.tools !== undefined) approvalTools = stringList(b.approval.tools, "approval.tools", MAX_HTTP_TOOLS + known.length);
  }
  const offered = new Set([...tools, ...http_tools.map((t) => t.name), "request_approval"]);
  for (const [i, t] of approvalTools.entries()) {
    if (!offered.has(t)) throw new Invalid(`approval.tools[${i}]`, `${JSON.stringify(t)} is not one of this agent's tools`);
  }
  return {
    name,
    builtin: false,
    description,
    system_prompt,
    model,
    tools,
    max_steps: b.max_steps === undefined ? base.max_steps : int(b.max_steps, "max_steps", 1, 50),
    max_credits: b.max_credits === undefined ? base.max_credits : int(b.max_credits, "max_credits", 1, MAX_AGENT_CREDITS),
    default_priority: (b.default_priority as Priority | undefined) ?? base.default_priority,
    ttl_seconds: b.ttl_seconds === undefined ? base.ttl_seconds : int(b.ttl_seconds, "ttl_seconds", 1, MAX_TTL_SECONDS),
    // request_approval is always gated; an overridden built-in keeps its prefix and event rules.
    approval: {
      tools: [...new Set(["request_approval", ...approvalTools])],
      tool_prefixes: base.approval.tool_prefixes,
      event_types: base.approval.event_types,
    },
    approval_ttl_seconds:
      b.approval_ttl_seconds === undefined
        ? base.approval_ttl_seconds
        : int(b.approval_ttl_seconds, "approval_ttl_seconds", 1, MAX_TTL_SECONDS),
    allowed_hosts: allowed,
    http_tools,
  };
}

/**
 * Validates a custom agent body for the agent `name` (from the URL). Omitted fields default to the
 * built-in agent of that name, else to `general`'s values; `system_prompt` is always required.
 */
export function parseAgent(name: string, body: Record<string, unknown>, opts: AgentParseOptions): AgentParse {
  try {
    return { ok: true, agent: build(name, body, opts) };
  } catch (e) {
    if (e instanceof Invalid) return { ok: false, field: e.field, message: e.message };
    throw e;
  }
}
