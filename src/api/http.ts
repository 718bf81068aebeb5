// Request helpers at the HTTP edge: bounded JSON bodies and canonical hashing.

import type { Context } from "hono";
import { ApiError } from "../domain/errors";
import { sha256Hex } from "../domain/ids";
import { jsonTextTooDeep, MAX_JSON_DEPTH } from "../domain/json-depth";
import { errorText, log } from "../ops/log";

/** Largest request body accepted (128 KB). */
export const MAX_BODY_BYTES = 128 * 1024;

const tooLarge = () => new ApiError("payload_too_large", `request body is over ${MAX_BODY_BYTES} bytes`);

/**
 * Reads a request body of at most `MAX_BODY_BYTES`: a declared Content-Length over it is refused
 * unread, and a body without one (chunked) is read only up to the limit, then the stream is
 * cancelled and the request refused with 413.
 */
export async function readBoundedText(req: Request): Promise<string> {
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (declared > MAX_BODY_BYTES) throw tooLarge();
  if (req.body === null) return "";
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > MAX_BODY_BYTES) {
      await reader.cancel("request body over the limit").catch((err: unknown) => {
        log.warn("api.body_cancel_failed", "cancelling an oversized request body failed", { error: errorText(err) });
      });
      throw tooLarge();
    }
    chunks.push(value);
  }
  const buf = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    buf.set(chunk, at);
    at += chunk.byteLength;
  }
  return new TextDecoder().decode(buf);
}

/**
 * Reads a JSON object body, in this order: 415 for another content type, 413 past 128 KB, 400
 * when it nests deeper than `MAX_JSON_DEPTH` (checked on the text, before parsing, so no later
 * step ever walks a deeper value), 400 if malformed or not an object.
 */
export async function readJsonObject(c: Context): Promise<{ body: Record<string, unknown>; text: string }> {
  const type = c.req.header("content-type") ?? "";
  if (!/^application\/json\b/i.test(type.trim())) {
    throw new ApiError("unsupported_media_type", "send the body as JSON with Content-Type: application/json");
  }
  const text = await readBoundedText(c.req.raw);
  if (jsonTextTooDeep(text)) {
    throw new ApiError("invalid_request", `the body nests arrays or objects deeper than ${MAX_JSON_DEPTH} levels`, {
      max_depth: MAX_JSON_DEPTH,
    });
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (e) {
    throw new ApiError("invalid_request", `malformed JSON: ${(e as Error).message}`);
  }
  if (body === null || typeof body !== "object" || Array.isArray(body))
    throw new ApiError("invalid_request", "the body must be a JSON object");
  return { body: body as Record<string, unknown>, text };
}

/** A JSON object body when the request has one (`{}` when it has none), read as `readJsonObject` does. */
export async function readOptionalJsonObject(c: Context): Promise<Record<string, unknown>> {
  const declared = c.req.header("content-length");
  if (c.req.raw.body === null || declared === "0") return {};
  if (c.req.header("content-type") === undefined) {
    const text = await readBoundedText(c.req.raw);
    if (text.trim() === "") return {};
    throw new ApiError("unsupported_media_type", "send the body as JSON with Content-Type: application/json");
  }
  return (await readJsonObject(c)).body;
}

/**
 * JSON with object keys sorted, so the same body always hashes the same. Recursive: only for
 * values whose depth is bounded (request bodies passed `readJsonObject`).
 */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(",")}]`;
  if (v !== null && typeof v === "object") {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(v);
}

/** Hex SHA-256 of the canonical JSON of a body (idempotency keys compare bodies by it). */
export function hashBody(body: unknown): Promise<string> {
  return sha256Hex(canonicalJson(body));
}

/** Byte length of a value serialised as JSON. */
export function jsonBytes(v: unknown): number {
  return new TextEncoder().encode(JSON.stringify(v)).byteLength;
}
