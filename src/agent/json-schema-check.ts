// Checks that a tenant-supplied JSON Schema (an HTTP tool's `input_schema`) is well formed and
// compiles with @cfworker/json-schema, so a bad schema is refused when the agent is saved.

import { Validator } from "@cfworker/json-schema";

/** Deepest nesting of subschemas accepted (32). */
export const MAX_SCHEMA_DEPTH = 32;

const TYPES = new Set(["object", "array", "string", "number", "integer", "boolean", "null"]);
const SCHEMA_VALUED = [
  "not",
  "if",
  "then",
  "else",
  "additionalProperties",
  "additionalItems",
  "contains",
  "propertyNames",
  "unevaluatedItems",
  "unevaluatedProperties",
];
const SCHEMA_LISTS = ["allOf", "anyOf", "oneOf", "prefixItems"];
const SCHEMA_MAPS = ["properties", "patternProperties", "$defs", "definitions", "dependentSchemas"];
const COUNTS = ["minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties", "minContains", "maxContains"];
const NUMBERS = ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"];
const STRINGS = ["title", "description", "format", "$comment", "$id", "$anchor"];

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

function regexProblem(p: unknown): string | null {
  if (typeof p !== "string") return "must be a string";
  try {
    new RegExp(p, "u");
    return null;
  } catch (e) {
    return `is not a valid regular expression (${(e as Error).message})`;
  }
}

/** Resolves a local `#/a/b` pointer against the root schema. */
function resolves(root: unknown, ref: string): boolean {
  if (ref === "#") return true;
  if (!ref.startsWith("#/")) return false;
  let at: unknown = root;
  for (const raw of ref.slice(2).split("/")) {
    const part = decodeURIComponent(raw).replace(/~1/g, "/").replace(/~0/g, "~");
    if (Array.isArray(at)) at = at[Number(part)];
    else if (isObject(at)) at = at[part];
    else return false;
    if (at === undefined) return false;
  }
  return true;
}

/** The first problem of a (sub)schema at JSON path `path`, or null. */
function walk(s: unknown, path: string, depth: number, root: unknown): string | null {
  if (typeof s === "boolean") return null;
  if (!isObject(s)) return `${path}: a schema must be an object or a boolean`;
  if (depth > MAX_SCHEMA_DEPTH) return `${path}: nested deeper than ${MAX_SCHEMA_DEPTH} levels`;
  const t = s.type;
  if (t !== undefined) {
    const list = Array.isArray(t) ? t : [t];
    if (list.length === 0 || !list.every((x) => typeof x === "string" && TYPES.has(x))) {
      return `${path}.type: must be one of ${[...TYPES].join(", ")} (or a list of them)`;
    }
  }
  if (s.required !== undefined && !(Array.isArray(s.required) && s.required.every((r) => typeof r === "string"))) {
    return `${path}.required: must be a list of property names`;
  }
  if (s.enum !== undefined && !Array.isArray(s.enum)) return `${path}.enum: must be a list`;
  if (s.uniqueItems !== undefined && typeof s.uniqueItems !== "boolean") return `${path}.uniqueItems: must be a boolean`;
  if (s.multipleOf !== undefined && !(typeof s.multipleOf === "number" && s.multipleOf > 0))
    return `${path}.multipleOf: must be a positive number`;
  for (const k of COUNTS)
    if (s[k] !== undefined && !(Number.isInteger(s[k]) && (s[k] as number) >= 0)) return `${path}.${k}: must be a non-negative integer`;
  for (const k of NUMBERS) if (s[k] !== undefined && typeof s[k] !== "number") return `${path}.${k}: must be a number`;
  for (const k of STRINGS) if (s[k] !== undefined && typeof s[k] !== "string") return `${path}.${k}: must be a string`;
  if (s.pattern !== undefined) {
    const p = regexProblem(s.pattern);
    if (p) return `${path}.pattern: ${p}`;
  }
  if (s.$ref !== undefined) {
    if (typeof s.$ref !== "string" || !resolves(root, s.$ref)) return `${path}.$ref: must be a local reference (#/...) that exists`;
  }
  for (const k of SCHEMA_VALUED) {
    if (s[k] === undefined) continue;
    const p = walk(s[k], `${path}.${k}`, depth + 1, root);
    if (p) return p;
  }
  const items = s.items;
  if (items !== undefined) {
    const list = Array.isArray(items) ? items : [items];
    for (const [i, sub] of list.entries()) {
      const p = walk(sub, Array.isArray(items) ? `${path}.items[${i}]` : `${path}.items`, depth + 1, root);
      if (p) return p;
    }
  }
  for (const k of SCHEMA_LISTS) {
    if (s[k] === undefined) continue;
    if (!Array.isArray(s[k]) || (s[k] as unknown[]).length === 0) return `${path}.${k}: must be a non-empty list of schemas`;
    for (const [i, sub] of (s[k] as unknown[]).entries()) {
      const p = walk(sub, `${path}.${k}[${i}]`, depth + 1, root);
      if (p) return p;
    }
  }
  for (const k of SCHEMA_MAPS) {
    if (s[k] === undefined) continue;
    if (!isObject(s[k])) return `${path}.${k}: must be an object of schemas`;
    for (const [name, sub] of Object.entries(s[k] as Record<string, unknown>)) {
      if (k === "patternProperties") {
        const p = regexProblem(name);
        if (p) return `${path}.patternProperties: key ${JSON.stringify(name)} ${p}`;
      }
      const p = walk(sub, `${path}.${k}.${name}`, depth + 1, root);
      if (p) return p;
    }
  }
  return null;
}

/**
 * Null when `schema` is a usable tool input schema: a JSON Schema object whose top level has
 * `type: "object"`, whose keywords are well formed, whose `$ref`s are local and resolve, and which
 * @cfworker/json-schema compiles and runs. Otherwise the first problem, prefixed with its path.
 */
export function toolSchemaProblem(schema: unknown): string | null {
  if (!isObject(schema)) return "must be a JSON Schema object";
  if (schema.type !== "object") return 'must have type "object" at the top level';
  const problem = walk(schema, "$", 0, schema);
  if (problem) return problem;
  try {
    new Validator(schema as never, "2020-12", false).validate({});
  } catch (e) {
    return `does not compile: ${e instanceof Error ? e.message : String(e)}`;
  }
  return null;
}
