// The Anthropic adapter of the ModelClient port: one Messages API call through the official SDK,
// with every failure classified into a RunFailure code by HTTP status and error type.
import Anthropic, { AnthropicError, APIConnectionError, APIConnectionTimeoutError, APIError } from "@anthropic-ai/sdk";
import { type FailureCode, isTransient, RunFailure } from "../../domain/errors";
import type { CallContext, ContentBlock, ModelClient, ModelMessage, ModelRequest, ModelResponse } from "./port";

/** Settings of the Anthropic adapter (docs/api.md, Configuration: `ANTHROPIC_API_KEY`, `ANTHROPIC_BASE_URL`, `ANTHROPIC_MODEL`). */
export interface AnthropicModelOptions {
  apiKey: string;
  /** API origin; default `https://api.anthropic.com`. */
  baseUrl?: string;
  /** Model used when a request names none (an agent profile's empty `model`). */
  model: string;
  /** Limit for one call, in milliseconds; default 120 000. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 120_000;
const MAX_QUOTED_MESSAGE = 500;

/**
 * A ModelClient backed by the Anthropic Messages API. The SDK's own retries are off: a failed call
 * throws at once (transient codes carry `retryAfterMs`) and the run retries it durably.
 */
export function anthropicModel(opts: AnthropicModelOptions): ModelClient {
  const client = new Anthropic({
    apiKey: opts.apiKey,
    baseURL: opts.baseUrl || undefined,
    maxRetries: 0,
    timeout: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
  });
  return {
    provider: "anthropic",
    async createMessage(request: ModelRequest, ctx?: CallContext): Promise<ModelResponse> {
      const model = request.model || opts.model;
      const signal = ctx?.signal;
      let raw: unknown;
      try {
        raw = await client.messages.create(toParams(request, model), signal ? { signal } : undefined);
      } catch (err) {
        // Stopped by the run: not a model failure to classify or retry.
        if (signal?.aborted) throw signal.reason;
        throw classify(err, { model, apiKey: opts.apiKey });
      }
      return fromMessage(raw);
    },
  };
}

type Params = Anthropic.Messages.MessageCreateParamsNonStreaming;

function toBlock(block: ContentBlock): Anthropic.Messages.ContentBlockParam {
  switch (block.type) {
    case "text":
      return { type: "text", text: block.text };
    case "tool_use":
      return { type: "tool_use", id: block.id, name: block.name, input: block.input };
    case "tool_result":
      return {
        type: "tool_result",
        tool_use_id: block.tool_use_id,
        content: block.content,
        ...(block.is_error === undefined ? {} : { is_error: block.is_error }),
      };
  }
}

function toMessage(message: ModelMessage): Anthropic.Messages.MessageParam {
  const content = typeof message.content === "string" ? message.content : message.content.map(toBlock);
  return message.role === "user" ? { role: "user", content } : { role: "assistant", content };
}

function toParams(request: ModelRequest, model: string): Params {
  return {
    model,
    max_tokens: request.max_tokens,
    messages: request.messages.map(toMessage),
    // The API rejects empty system text and a tool_choice without tools, so empty means absent.
    ...(request.system ? { system: request.system } : {}),
    ...(request.tools.length > 0
      ? {
          tools: request.tools.map((t) => ({
            name: t.name,
            description: t.description,
            input_schema: t.input_schema as Anthropic.Messages.Tool.InputSchema,
          })),
        }
      : {}),
    ...(request.tool_choice ? { tool_choice: request.tool_choice } : {}),
  };
}

const protocolError = (what: string) => new RunFailure("model_protocol_error", `Anthropic API response ${what}`);
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null;
const tokens = (v: unknown): number => (typeof v === "number" && Number.isFinite(v) ? v : 0);

function fromBlock(block: unknown): ContentBlock {
  if (!isRecord(block)) throw protocolError("has a content block that is not an object");
  if (block.type === "text" && typeof block.text === "string") return { type: "text", text: block.text };
  if (block.type === "tool_use" && typeof block.id === "string" && typeof block.name === "string") {
    return { type: "tool_use", id: block.id, name: block.name, input: block.input };
  }
  throw protocolError(`has an unsupported content block of type ${JSON.stringify(block.type)}`);
}

function fromMessage(raw: unknown): ModelResponse {
  if (!isRecord(raw) || !Array.isArray(raw.content)) throw protocolError("is not a message");
  const usage = isRecord(raw.usage) ? raw.usage : {};
  return {
    content: raw.content.map(fromBlock),
    stop_reason: typeof raw.stop_reason === "string" ? raw.stop_reason : null,
    model: typeof raw.model === "string" ? raw.model : "",
    usage: {
      input_tokens: tokens(usage.input_tokens),
      output_tokens: tokens(usage.output_tokens),
      cache_creation_input_tokens: tokens(usage.cache_creation_input_tokens),
      cache_read_input_tokens: tokens(usage.cache_read_input_tokens),
    },
  };
}

/**
 * The delay a response asks for, in ms: `retry-after-ms`, else `retry-after` as seconds or an HTTP
 * date. Undefined when absent or unreadable; a date in the past gives 0.
 */
function retryAfterMs(headers: { get(name: string): string | null } | undefined): number | undefined {
  const ms = headers?.get("retry-after-ms");
  if (ms && Number.isFinite(Number(ms)) && Number(ms) >= 0) return Math.round(Number(ms));
  const value = headers?.get("retry-after")?.trim();
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.round(Number(value) * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/** Removes the API key, and anything shaped like an Anthropic key, from text quoted back to users. */
function redact(text: string, apiKey: string): string {
  const withoutKey = apiKey ? text.split(apiKey).join("[redacted]") : text;
  return withoutKey.replace(/sk-ant-[A-Za-z0-9_-]+/g, "[redacted]");
}

function codeFor(status: number, type: string | null): FailureCode {
  if (status === 529 || type === "overloaded_error") return "model_overloaded";
  if (status === 429 || type === "rate_limit_error") return "model_rate_limited";
  if (status === 408 || type === "timeout_error") return "model_timeout";
  if (status === 401) return "model_unauthorized";
  if (status === 402 || status === 403) return "model_forbidden";
  if (status === 404) return "model_not_found";
  if (status === 413) return "model_payload_too_large";
  // 409 is a lock conflict on the API's side, which the API itself says to retry.
  if (status === 409 || status >= 500) return "model_server_error";
  return "model_bad_request";
}

function explain(code: FailureCode, model: string, detail: string): string {
  switch (code) {
    case "model_unauthorized":
      return `The ANTHROPIC_API_KEY is invalid or revoked (${detail}). Set a valid key with \`wrangler secret put ANTHROPIC_API_KEY\`.`;
    case "model_forbidden":
      return `The Anthropic account or key may not make this call (${detail}). Check the key's workspace, billing and model access.`;
    case "model_not_found":
      return `The model "${model}" was not found (${detail}). Set ANTHROPIC_MODEL (or the agent's model) to a model the key can use, and check ANTHROPIC_BASE_URL.`;
    case "model_payload_too_large":
      return `The request to the Anthropic API is too large (${detail}). Shorten the run input or the tool results.`;
    case "model_bad_request":
      return `The Anthropic API rejected the request (${detail}).`;
    case "model_overloaded":
      return `The Anthropic API is overloaded (${detail}).`;
    case "model_rate_limited":
      return `The Anthropic API rate limit was reached (${detail}).`;
    case "model_timeout":
      return `The Anthropic API timed out (${detail}).`;
    default:
      return `The Anthropic API failed (${detail}).`;
  }
}

/** Turns anything the SDK throws into a RunFailure, from structured fields only. */
function classify(err: unknown, ctx: { model: string; apiKey: string }): RunFailure {
  if (err instanceof APIConnectionTimeoutError) {
    return new RunFailure("model_timeout", "The call to the Anthropic API timed out before a response arrived.");
  }
  if (err instanceof APIConnectionError) {
    const cause = err.cause instanceof Error ? ` (${redact(err.cause.message, ctx.apiKey).replace(/\.$/, "")})` : "";
    return new RunFailure("network_error", `The Anthropic API could not be reached${cause}.`);
  }
  if (err instanceof APIError && typeof err.status === "number") {
    const code = codeFor(err.status, err.type);
    const said = err.apiMessage ? `: ${redact(err.apiMessage, ctx.apiKey).slice(0, MAX_QUOTED_MESSAGE)}` : "";
    const request = err.requestID ? `, request ${err.requestID}` : "";
    const detail = `HTTP ${err.status} ${err.type ?? "error"}${request}${said}`;
    return new RunFailure(code, explain(code, ctx.model, detail), isTransient(code) ? retryAfterMs(err.headers) : undefined);
  }
  if (err instanceof APIError) {
    // No status: the exchange was cut off on the client's side before any response.
    return new RunFailure("network_error", `The call to the Anthropic API was aborted: ${redact(err.message, ctx.apiKey)}`);
  }
  if (err instanceof AnthropicError || err instanceof SyntaxError) {
    // The SDK refused the exchange itself (e.g. an unreadable response body).
    return new RunFailure("model_protocol_error", `The Anthropic SDK failed: ${redact(err.message, ctx.apiKey)}`);
  }
  const message = err instanceof Error ? redact(err.message, ctx.apiKey) : "unknown error";
  return new RunFailure("network_error", `The call to the Anthropic API failed: ${message}`);
}
