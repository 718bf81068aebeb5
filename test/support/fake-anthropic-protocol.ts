// The wire protocol of the fake Messages API: reply and record types, request validation with the
// real error shapes, response bodies, default answers and scope matching. No I/O here.

/** A content block the fake can answer with. `id` of a tool_use is generated when omitted. */
export type FakeBlock = { type: "text"; text: string } | { type: "tool_use"; id?: string; name: string; input: unknown };

/** Usage as the real API reports it; the cache fields may be null. */
export interface FakeUsage {
  input_tokens?: number;
  output_tokens?: number;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
}

/** A successful message. `stop_reason` defaults to "tool_use" when a tool_use block is present, else "end_turn". */
export interface FakeMessageReply {
  content: FakeBlock[];
  stop_reason?: string;
  usage?: FakeUsage;
  /** Model to report; defaults to the requested model. */
  model?: string;
  headers?: Record<string, string>;
  /** Wait this long (ms) before answering, e.g. to provoke a client timeout. */
  delayMs?: number;
}

/** An API error, answered with the real envelope `{type:"error", error:{type, message}, request_id}`. */
export interface FakeErrorReply {
  status: number;
  /** `error.type`; defaults to the type the real API uses for `status`. */
  type?: string;
  message?: string;
  /** E.g. `{ "retry-after": "3" }`. */
  headers?: Record<string, string>;
  delayMs?: number;
}

/** Drops the connection without answering (a network error for the client). */
export interface FakeDisconnectReply {
  disconnect: true;
  delayMs?: number;
}

/** One scripted answer. Plain JSON, so it can also be sent through the control API. */
export type FakeReply = FakeMessageReply | FakeErrorReply | FakeDisconnectReply;

/** A request the fake received on `/v1/...`, with the status it answered. */
export interface RecordedRequest {
  at: string;
  method: string;
  path: string;
  /** Lower-case header names. */
  headers: Record<string, string>;
  /** Parsed JSON body, or the raw text when it was not JSON. */
  body: unknown;
  requestId: string;
  status: number;
}

/** A rejection in the real API's terms. */
export interface ProtocolError {
  status: number;
  type: string;
  message: string;
}

const DEFAULT_ERROR_TYPES: Record<number, string> = {
  400: "invalid_request_error",
  401: "authentication_error",
  402: "billing_error",
  403: "permission_error",
  404: "not_found_error",
  413: "request_too_large",
  429: "rate_limit_error",
  500: "api_error",
  504: "timeout_error",
  529: "overloaded_error",
};

/** The `error.type` the real API sends with an HTTP status. */
export function defaultErrorType(status: number): string {
  return DEFAULT_ERROR_TYPES[status] ?? (status >= 500 ? "api_error" : "invalid_request_error");
}

/** The real error envelope. */
export function errorBody(type: string, message: string, requestId: string): unknown {
  return { type: "error", error: { type, message }, request_id: requestId };
}

type Headers = Record<string, string | string[] | undefined>;

function header(headers: Headers, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

const bad = (message: string): ProtocolError => ({ status: 400, type: "invalid_request_error", message });

/** Checks the headers the SDK sends. The key may come as `x-api-key` or `Authorization: Bearer`. */
export function checkHeaders(headers: Headers, apiKey: string): ProtocolError | null {
  const bearer = header(headers, "authorization")?.match(/^Bearer\s+(.+)$/i)?.[1];
  const given = header(headers, "x-api-key") ?? bearer;
  if (given === undefined) return { status: 401, type: "authentication_error", message: "x-api-key header is required" };
  if (given !== apiKey) return { status: 401, type: "authentication_error", message: "invalid x-api-key" };
  if (!header(headers, "anthropic-version")) return bad("anthropic-version: header is required");
  const contentType = header(headers, "content-type") ?? "";
  if (!/^application\/json\b/i.test(contentType)) return bad("content-type: must be application/json");
  return null;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function checkBlock(block: unknown, where: string): string | null {
  if (!isObject(block)) return `${where}: Input should be an object`;
  switch (block.type) {
    case "text":
      return typeof block.text === "string" ? null : `${where}.text: Field required`;
    case "tool_use":
      if (typeof block.id !== "string" || typeof block.name !== "string") return `${where}: tool_use needs id and name`;
      return isObject(block.input) ? null : `${where}.input: Input should be an object`;
    case "tool_result":
      return typeof block.tool_use_id === "string" ? null : `${where}.tool_use_id: Field required`;
    case "image":
    case "document":
      return null;
    default:
      return `${where}.type: unknown content block type ${JSON.stringify(block.type)}`;
  }
}

const blocksOf = (content: unknown): Record<string, unknown>[] => (Array.isArray(content) ? content.filter(isObject) : []);

/** Every tool_use must be answered by a tool_result in the next user message, and only those. */
function checkToolPairs(messages: Record<string, unknown>[]): string | null {
  for (let i = 0; i < messages.length; i++) {
    const results = blocksOf(messages[i]?.content).filter((b) => b.type === "tool_result");
    if (results.length === 0) continue;
    const previous = i > 0 ? messages[i - 1] : undefined;
    const uses = new Set(blocksOf(previous?.role === "assistant" ? previous.content : undefined).map((b) => b.id));
    const stray = results.find((r) => !uses.has(r.tool_use_id));
    if (stray) return `messages.${i}: unexpected tool_use_id ${String(stray.tool_use_id)} in tool_result blocks`;
  }
  for (let i = 0; i < messages.length - 1; i++) {
    if (messages[i]?.role !== "assistant") continue;
    const answered = new Set(blocksOf(messages[i + 1]?.content).map((b) => b.tool_use_id));
    const open = blocksOf(messages[i]?.content).find((b) => b.type === "tool_use" && !answered.has(b.id));
    if (open) return `messages.${i}: tool_use id ${String(open.id)} has no tool_result block right after it`;
  }
  return null;
}

function checkTools(body: Record<string, unknown>): string | null {
  const tools = body.tools ?? [];
  if (!Array.isArray(tools)) return "tools: Input should be a valid list";
  const names = new Set<string>();
  for (const [i, tool] of tools.entries()) {
    if (!isObject(tool) || typeof tool.name !== "string" || !/^[a-zA-Z0-9_-]{1,128}$/.test(tool.name)) {
      return `tools.${i}.name: must match ^[a-zA-Z0-9_-]{1,128}$`;
    }
    if (!isObject(tool.input_schema) || tool.input_schema.type !== "object") {
      return `tools.${i}.input_schema: must be a JSON schema with type "object"`;
    }
    if (names.has(tool.name)) return `tools: tool names must be unique (${tool.name})`;
    names.add(tool.name);
  }
  const choice = body.tool_choice;
  if (choice === undefined) return null;
  if (!isObject(choice) || !["auto", "any", "tool", "none"].includes(String(choice.type))) {
    return "tool_choice.type: Input should be 'auto', 'any', 'tool' or 'none'";
  }
  if ((choice.type === "any" || choice.type === "tool") && names.size === 0) {
    return `tool_choice: type ${choice.type} needs at least one tool`;
  }
  if (choice.type === "tool" && !names.has(String(choice.name))) {
    return `tool_choice.name: tool ${JSON.stringify(choice.name)} is not among the tools`;
  }
  return null;
}

/** Validates a Messages request body the way the real API rejects malformed ones (400). */
export function checkBody(body: unknown): ProtocolError | null {
  if (!isObject(body)) return bad("request body must be a JSON object");
  if (typeof body.model !== "string" || body.model === "") return bad("model: Field required");
  if (!Number.isInteger(body.max_tokens) || (body.max_tokens as number) < 1) {
    return bad("max_tokens: Input should be a positive integer");
  }
  if (body.stream === true) return bad("stream: this fake server does not stream");
  if (body.system !== undefined && typeof body.system !== "string" && !Array.isArray(body.system)) {
    return bad("system: Input should be a string or a list of text blocks");
  }
  if (!Array.isArray(body.messages) || body.messages.length === 0) return bad("messages: at least one message is required");
  for (const [i, message] of body.messages.entries()) {
    if (!isObject(message) || (message.role !== "user" && message.role !== "assistant")) {
      return bad(`messages.${i}.role: Input should be 'user' or 'assistant'`);
    }
    if (typeof message.content === "string") {
      if (message.content === "") return bad(`messages.${i}: text content blocks must be non-empty`);
      continue;
    }
    if (!Array.isArray(message.content)) return bad(`messages.${i}.content: Input should be a string or a list`);
    for (const [j, block] of message.content.entries()) {
      const problem = checkBlock(block, `messages.${i}.content.${j}`);
      if (problem) return bad(problem);
    }
  }
  const pairing = checkToolPairs(body.messages as Record<string, unknown>[]);
  if (pairing) return bad(pairing);
  const tools = checkTools(body);
  return tools ? bad(tools) : null;
}

function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  return blocksOf(content)
    .map((b) => (typeof b.text === "string" ? b.text : ""))
    .join("\n");
}

/** A string scope matches when the system prompt or first user message contains it, or it is `metadata.user_id`. */
export function scopeMatches(scope: string, body: unknown): boolean {
  if (!isObject(body)) return false;
  if (isObject(body.metadata) && body.metadata.user_id === scope) return true;
  if (textOf(body.system).includes(scope)) return true;
  const first = Array.isArray(body.messages) ? body.messages.find((m) => isObject(m) && m.role === "user") : undefined;
  return isObject(first) && textOf(first.content).includes(scope);
}

/** Smallest value that satisfies a (simple) JSON schema: required properties, minItems, enums. */
export function minimalValue(schema: unknown): unknown {
  if (!isObject(schema)) return null;
  if ("const" in schema) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case "object": {
      const props = isObject(schema.properties) ? schema.properties : {};
      const required = Array.isArray(schema.required) ? schema.required.map(String) : [];
      return Object.fromEntries(required.map((name) => [name, minimalValue(props[name])]));
    }
    case "array": {
      const count = typeof schema.minItems === "number" ? schema.minItems : 0;
      return Array.from({ length: count }, () => minimalValue(schema.items));
    }
    case "string":
      return "x".repeat(typeof schema.minLength === "number" ? schema.minLength : 0);
    case "integer":
    case "number":
      return typeof schema.minimum === "number" ? schema.minimum : 0;
    case "boolean":
      return false;
    default:
      return null;
  }
}

/** What the fake answers when nothing is scripted: the forced tool with minimal input, else end_turn text. */
export function defaultReply(body: Record<string, unknown>): FakeMessageReply {
  const tools = Array.isArray(body.tools) ? body.tools.filter(isObject) : [];
  const choice = isObject(body.tool_choice) ? body.tool_choice : undefined;
  const forced = choice?.type === "tool" ? tools.find((t) => t.name === choice.name) : choice?.type === "any" ? tools[0] : undefined;
  if (forced) {
    return {
      content: [{ type: "tool_use", name: String(forced.name), input: minimalValue(forced.input_schema) }],
    };
  }
  return { content: [{ type: "text", text: "Done." }] };
}

const estimateTokens = (text: string): number => Math.max(1, Math.ceil(text.length / 4));

/** The success body of the real API for a scripted (or default) message. */
export function messageBody(reply: FakeMessageReply, request: Record<string, unknown>, newId: (prefix: string) => string): unknown {
  const content = reply.content.map((block) =>
    block.type === "tool_use" ? { type: "tool_use", id: block.id ?? newId("toolu_"), name: block.name, input: block.input } : block,
  );
  const usage = reply.usage ?? {};
  return {
    id: newId("msg_"),
    type: "message",
    role: "assistant",
    model: reply.model ?? request.model,
    content,
    stop_reason: reply.stop_reason ?? (content.some((b) => b.type === "tool_use") ? "tool_use" : "end_turn"),
    stop_sequence: null,
    usage: {
      input_tokens: usage.input_tokens ?? estimateTokens(JSON.stringify(request.messages ?? [])),
      output_tokens: usage.output_tokens ?? estimateTokens(JSON.stringify(content)),
      cache_creation_input_tokens: usage.cache_creation_input_tokens === undefined ? 0 : usage.cache_creation_input_tokens,
      cache_read_input_tokens: usage.cache_read_input_tokens === undefined ? 0 : usage.cache_read_input_tokens,
      service_tier: "standard",
    },
  };
}
