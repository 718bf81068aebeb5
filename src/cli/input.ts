// Input from the command line: literal text, `@file`, or `-` for standard input; JSON read the same
// way. Missing files and invalid JSON are usage errors, found before any request is sent.

import { readFile } from "node:fs/promises";
import { UsageError } from "./context";

/** Reads all of standard input as text. */
async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString("utf8");
}

async function readPath(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new UsageError(`${what}: file not found: ${path}`);
    if (code === "EISDIR") throw new UsageError(`${what}: ${path} is a directory`);
    throw new UsageError(`${what}: cannot read ${path}: ${(e as Error).message}`);
  }
}

/** `-` → standard input; `@path` → that file; anything else → the text itself. */
export async function readTextArg(spec: string, what: string): Promise<string> {
  if (spec === "-") return readStdin();
  if (spec.startsWith("@")) return readPath(spec.slice(1), what);
  return spec;
}

/** A file path (or `-` for standard input) holding JSON. */
export async function readJsonFile(path: string, what: string): Promise<unknown> {
  const text = path === "-" ? await readStdin() : await readPath(path, what);
  return parseJson(text, what, path === "-" ? "standard input" : path);
}

/** `-`, `@path` or literal JSON text, parsed. */
export async function readJsonArg(spec: string, what: string): Promise<unknown> {
  const text = await readTextArg(spec, what);
  return parseJson(text, what, spec === "-" ? "standard input" : spec.startsWith("@") ? spec.slice(1) : "the argument");
}

function parseJson(text: string, what: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${what}: invalid JSON in ${source}: ${(e as Error).message}`);
  }
}

/** `k=v` pairs (repeatable `--metadata`) as an object; a pair without `=` or with an empty key is a usage error. */
export function keyValues(flag: string, pairs: string[]): Record<string, string> | undefined {
  if (pairs.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf("=");
    if (at <= 0) throw new UsageError(`${flag} takes key=value, got "${pair}"`);
    out[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return out;
}
