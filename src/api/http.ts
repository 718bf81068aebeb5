// Request helpers at the HTTP edge: bounded JSON bodies, query integers, canonical hashing.

import type { Context } from "hono";
import { ApiError } from "../domain/errors";
import { sha256Hex } from "../domain/ids";

/** Largest request body accepted (128 KB). */
export const MAX_BODY_BYTES = 128 * 1024;

/** Reads a JSON object body: 415 for another content type, 413 past 128 KB, 400 if malformed. */
export async function readJsonObject(c: Context): Promise<{ body: Record<string, unknown>; text: string }> {
  const type = c.req.header("content-type") ?? "";
  if (!/^application\/json\b/i.test(type.trim())) {
    throw new ApiError("unsupported_media_type", "send the body as JSON with Content-Type: application/json");
  }
  const declared = Number(c.req.header("content-length") ?? "0");
  if (declared > MAX_BODY_BYTES) throw new ApiError("payload_too_large", `request body is over ${MAX_BODY_BYTES} bytes`);
  const buf = await c.req.arrayBuffer();
  if (buf.byteLength > MAX_BODY_BYTES) throw new ApiError("payload_too_large", `request body is over ${MAX_BODY_BYTES} bytes`);
  const text = new TextDecoder().decode(buf);
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

/** An integer query parameter within [min, max], or the default when absent. */
export function queryInt(c: Context, name: string, min: number, max: number, fallback: number): number {
  const raw = c.req.query(name);
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ApiError("invalid_request", `${name} must be an integer from ${min} to ${max}`, { field: name });
  }
  return n;
}

/** JSON with object keys sorted, so the same body always hashes the same. */
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

export function hashBody(body: unknown): Promise<string> {
  return sha256Hex(canonicalJson(body));
}

/** Byte length of a value serialised as JSON. */
export function jsonBytes(v: unknown): number {
  return new TextEncoder().encode(JSON.stringify(v)).byteLength;
}
