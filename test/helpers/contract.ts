// Checks a response of the Worker against the committed OpenAPI document: its status must be one
// the operation lists, and a JSON body must match that status's schema. Used by every api() call.

import { Validator } from "@cfworker/json-schema";
import doc from "../../openapi.json";

type Operation = { responses: Record<string, { content?: Record<string, { schema?: object }> }> };
type Doc = { paths: Record<string, Record<string, Operation>>; components: object };

const document = doc as unknown as Doc;

/** Path templates as patterns, most specific (fewest parameters) first. */
const templates = Object.keys(document.paths)
  .map((path) => ({
    path,
    params: (path.match(/\{/g) ?? []).length,
    // A `{path}` parameter takes the rest of the URL (a file path has slashes); others one segment.
    re: new RegExp(`^${path.replace(/\{path\}/g, "(.+)").replace(/\{[^}]+\}/g, "([^/]+)")}$`),
  }))
  .sort((a, b) => a.params - b.params);

/** The operation the document gives for `method` on `pathname`, with its template. */
export function operationFor(method: string, pathname: string): { template: string; operation: Operation } | null {
  for (const t of templates) {
    const operation = document.paths[t.path]?.[method.toLowerCase()];
    if (t.re.test(pathname) && operation) return { template: t.path, operation };
  }
  return null;
}

const validators = new Map<string, Validator>();

function validatorFor(key: string, schema: object): Validator {
  let v = validators.get(key);
  if (!v) {
    // The schema's `#/components/...` references resolve against this root.
    v = new Validator({ ...schema, components: document.components }, "2020-12", false);
    validators.set(key, v);
  }
  return v;
}

/**
 * Throws when `res` (the answer to `method` `url`) is not what the document describes. Routes the
 * document does not know (a deliberately unknown path) are left to the test that made them.
 */
export async function checkContract(method: string, url: string, res: Response): Promise<void> {
  const found = operationFor(method, new URL(url).pathname);
  if (!found) return;
  const where = `${method} ${found.template} → ${res.status}`;
  const described = found.operation.responses[String(res.status)];
  if (!described) throw new Error(`${where}: the OpenAPI document lists no response with this status`);
  const type = (res.headers.get("content-type") ?? "").split(";")[0]!.trim();
  // A body of any media type (a workspace file) has no schema to meet.
  if (type !== "application/json" || described.content?.["*/*"]) return;
  const schema = described.content?.["application/json"]?.schema;
  if (!schema) throw new Error(`${where}: answered JSON, but the document describes no JSON body`);
  const body: unknown = await res.clone().json();
  const result = validatorFor(`${method} ${found.template} ${res.status}`, schema).validate(body);
  if (!result.valid) {
    const problems = result.errors.map((e) => `${e.instanceLocation}: ${e.error}`).join("; ");
    throw new Error(`${where}: the body does not match the document: ${problems}\n${JSON.stringify(body).slice(0, 500)}`);
  }
}
