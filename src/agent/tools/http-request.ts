// The `http_request` tool: one HTTP request to a host in the agent's `allowed_hosts`, answered as
// `{status, headers, body, truncated}` with the body cut at 32 KB (docs/agents.md).

import { checkOutboundUrl } from "../../domain/url-policy";
import { DEFAULT_TOOL_TIMEOUT_MS, exchange, MAX_RESPONSE_BYTES } from "./http-fetch";
import type { ToolDefinition, ToolResult } from "./tool";

const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;

/** Largest request body the tool sends (64 KB). */
export const MAX_REQUEST_BODY_BYTES = 64 * 1024;
/** Most request headers one call may set (30). */
export const MAX_REQUEST_HEADERS = 30;
const MAX_HEADER_VALUE = 8 * 1024;
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// Set by the runtime or the platform; letting the model set them could smuggle or spoof requests.
const RESERVED =
  /^(host|content-length|connection|keep-alive|transfer-encoding|te|trailer|upgrade|expect|forwarded|proxy-.*|cf-.*|x-forwarded-.*|x-real-ip)$/i;

export interface HttpRequestOptions {
  /** Limit of one request, body included, in ms (default 15 000). */
  timeoutMs?: number;
  /** Response body bytes passed on (default 32 KB). */
  maxBytes?: number;
}

interface Input {
  method: (typeof METHODS)[number];
  url: string;
  headers?: Record<string, string>;
  body?: unknown;
}

const fail = (error: string): ToolResult => ({ ok: false, error });

function checkHeaders(headers: Record<string, string>): string | null {
  const names = Object.keys(headers);
  if (names.length > MAX_REQUEST_HEADERS) return `at most ${MAX_REQUEST_HEADERS} headers are allowed`;
  for (const name of names) {
    if (!TOKEN.test(name)) return `header name ${JSON.stringify(name)} is not a valid HTTP token`;
    if (RESERVED.test(name)) return `header ${name} is set by the runtime and may not be given`;
    const value = headers[name] ?? "";
    if (/[\r\n\0]/.test(value)) return `header ${name} contains a line break or NUL`;
    if (value.length > MAX_HEADER_VALUE) return `header ${name} is longer than ${MAX_HEADER_VALUE} characters`;
  }
  return null;
}

/** The body to send: strings as they are, any other JSON value serialised (as application/json). */
function encodeBody(body: unknown, headers: Headers): string | null {
  if (body === undefined || body === null) return null;
  if (typeof body === "string") return body;
  if (!headers.has("content-type")) headers.set("content-type", "application/json");
  return JSON.stringify(body);
}

/** Builds the `http_request` tool; the registry uses the defaults (15 s, 32 KB). */
export function httpRequestTool(opts: HttpRequestOptions = {}): ToolDefinition {
  const maxBytes = opts.maxBytes ?? MAX_RESPONSE_BYTES;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TOOL_TIMEOUT_MS;
  return {
    name: "http_request",
    description:
      `Make an HTTP request to a host this agent is allowed to reach. Returns {status, headers, body, truncated}; ` +
      `the body is text, cut at ${maxBytes} bytes (truncated: true). Redirects are returned, not followed.`,
    input_schema: {
      type: "object",
      properties: {
        method: { type: "string", enum: [...METHODS] },
        url: { type: "string", maxLength: 2048, description: "Absolute URL; its host must be in the agent's allowed hosts." },
        headers: { type: "object", additionalProperties: { type: "string" } },
        body: { description: "A string, or any JSON value (sent as application/json)." },
      },
      required: ["method", "url"],
      additionalProperties: false,
    },
    async run(raw, ctx) {
      const input = raw as Input;
      const target = checkOutboundUrl(input.url, { development: ctx.services.development, allowedHosts: ctx.agent.allowed_hosts });
      if (!target.ok) return fail(target.error);
      const headerProblem = checkHeaders(input.headers ?? {});
      if (headerProblem) return fail(headerProblem);
      const headers = new Headers(input.headers ?? {});
      const body = encodeBody(input.body, headers);
      if (body !== null && (input.method === "GET" || input.method === "HEAD")) return fail(`a ${input.method} request cannot have a body`);
      if (body !== null && new TextEncoder().encode(body).byteLength > MAX_REQUEST_BODY_BYTES) {
        return fail(`the request body is over ${MAX_REQUEST_BODY_BYTES} bytes`);
      }
      const res = await exchange(
        target.url,
        { method: input.method, headers, body },
        {
          timeoutMs,
          maxBytes,
          what: `http_request to ${target.url.host}`,
          signal: ctx.signal,
        },
      );
      const shown: Record<string, string> = {};
      res.headers.forEach((value, name) => {
        if (name !== "set-cookie") shown[name] = value;
      });
      return { ok: true, value: { status: res.status, headers: shown, body: res.text, truncated: res.truncated } };
    },
  };
}
