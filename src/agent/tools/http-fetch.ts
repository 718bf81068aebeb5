// One outbound HTTP exchange for the HTTP tools: a time limit, no redirects followed, the response
// body read up to a byte cap, and transport failures turned into transient RunFailures.

import { RunFailure } from "../../domain/errors";
import { errorText, log } from "../../ops/log";

/** Largest response body a tool passes on to the model (32 KB). */
export const MAX_RESPONSE_BYTES = 32 * 1024;

/** Default time limit of one tool request, body included (15 000 ms). */
export const DEFAULT_TOOL_TIMEOUT_MS = 15_000;

export interface Exchange {
  status: number;
  headers: Headers;
  /** The body as text, cut to `maxBytes` on a character boundary. */
  text: string;
  truncated: boolean;
}

export interface ExchangeOptions {
  /** Whole exchange limit in ms (default 15 000). */
  timeoutMs?: number;
  /** Body bytes kept (default 32 KB); the rest is not read. */
  maxBytes?: number;
  /** What is being called, for messages, e.g. `http_request to api.example.com`. */
  what: string;
  /** Aborts the exchange when the run no longer wants it (canceled); rethrown as its reason. */
  signal?: AbortSignal;
}

/** Keeps whole UTF-8 characters only: drops a trailing partial multi-byte sequence. */
function utf8Boundary(bytes: Uint8Array): Uint8Array {
  let end = bytes.length;
  let back = 0;
  while (end > 0 && back < 4 && ((bytes[end - 1] ?? 0) & 0xc0) === 0x80) {
    end--;
    back++;
  }
  if (end === 0) return bytes;
  const lead = bytes[end - 1] ?? 0;
  const need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
  return need === back + 1 ? bytes : bytes.subarray(0, end - 1);
}

async function readCapped(res: Response, maxBytes: number): Promise<{ text: string; truncated: boolean }> {
  if (!res.body) return { text: "", truncated: false };
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let truncated = false;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
    if (size > maxBytes) {
      truncated = true;
      // The rest is never needed: stop the transfer instead of downloading it.
      await reader
        .cancel()
        .catch((e: unknown) => log.warn("tool.body_cancel_failed", "cancelling a tool response body failed", { error: errorText(e) }));
      break;
    }
  }
  const all = new Uint8Array(Math.min(size, maxBytes));
  let at = 0;
  for (const c of chunks) {
    if (at >= all.length) break;
    const part = c.subarray(0, all.length - at);
    all.set(part, at);
    at += part.length;
  }
  return { text: new TextDecoder().decode(truncated ? utf8Boundary(all) : all), truncated };
}

/** The delay a `retry-after` header asks for, in ms (seconds or an HTTP date); undefined if absent. */
export function retryAfterMs(headers: Headers): number | undefined {
  const v = headers.get("retry-after")?.trim();
  if (!v) return undefined;
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

function transportFailure(err: unknown, what: string, timeoutMs: number): RunFailure {
  const name = err instanceof Error ? err.name : "";
  if (name === "TimeoutError" || name === "AbortError") return new RunFailure("network_error", `${what} timed out after ${timeoutMs} ms`);
  const reason = err instanceof Error ? err.message : String(err);
  return new RunFailure("network_error", `${what} failed: ${reason.slice(0, 300)}`);
}

/**
 * Makes one request and reads its body up to the cap. Redirects are returned, not followed (a
 * redirect could leave the allowed hosts). Throws RunFailure `network_error` on a timeout or a
 * transport error and `tool_server_error` (with the `retry-after` it sent) on a 5xx answer.
 */
export async function exchange(url: URL, init: RequestInit, opts: ExchangeOptions): Promise<Exchange> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TOOL_TIMEOUT_MS;
  const signal = opts.signal ? AbortSignal.any([AbortSignal.timeout(timeoutMs), opts.signal]) : AbortSignal.timeout(timeoutMs);
  let res: Response;
  let body: { text: string; truncated: boolean };
  try {
    res = await fetch(url, { ...init, redirect: "manual", signal });
    body = await readCapped(res, opts.maxBytes ?? MAX_RESPONSE_BYTES);
  } catch (err) {
    // Stopped by the run (not a transport failure): the caller sees why.
    if (opts.signal?.aborted) throw opts.signal.reason;
    throw transportFailure(err, opts.what, timeoutMs);
  }
  if (res.status >= 500) {
    throw new RunFailure("tool_server_error", `${opts.what} answered HTTP ${res.status}`, retryAfterMs(res.headers));
  }
  return { status: res.status, headers: res.headers, ...body };
}
