// Validates a tool input against the tool's JSON Schema (runs in Workers: no code generation).

import { Validator } from "@cfworker/json-schema";

const cache = new WeakMap<object, Validator>();

/** Returns null when `input` matches `schema`, else a short message naming the failing fields. */
export function schemaErrors(schema: Record<string, unknown>, input: unknown): string | null {
  let v = cache.get(schema);
  if (!v) {
    v = new Validator(schema as never, "2020-12", false);
    cache.set(schema, v);
  }
  const result = v.validate(input);
  if (result.valid) return null;
  const leaves = result.errors.filter((e) => !/^(properties|items|allOf|anyOf|oneOf|\$ref)$/.test(e.keyword));
  const shown = (leaves.length > 0 ? leaves : result.errors).slice(0, 5);
  return shown.map((e) => `${e.instanceLocation || "#"}: ${e.error}`).join("; ");
}
