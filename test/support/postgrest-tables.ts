// `/rest/v1/<table>` of the local PostgREST gateway: GET/HEAD with `select=`, `col=op.value`
// filters, `order=`, `limit=`, `offset=`; POST (insert, upsert), PATCH and DELETE with
// `Prefer: return=representation`. Values are always bound parameters; identifiers are validated.
import type { PoolClient } from "pg";
import { PostgrestHttpError } from "./postgrest-errors";
import { type GatewayResult, IDENTIFIER } from "./postgrest-rpc";

/** One table request, already authenticated and with its schema resolved. */
export interface TableRequest {
  method: string;
  schema: string;
  table: string;
  params: URLSearchParams;
  body: unknown;
  /** Tokens of the Prefer header, e.g. "return=representation", "count=exact". */
  prefer: string[];
  /** Whether the client asked for a single object (application/vnd.pgrst.object+json). */
  single: boolean;
}

const RESERVED = new Set(["select", "order", "limit", "offset", "on_conflict", "columns"]);
const OPERATORS: Record<string, string> = { eq: "=", neq: "<>", gt: ">", gte: ">=", lt: "<", lte: "<=", like: "like", ilike: "ilike" };

function parseError(message: string, details: string | null = null): PostgrestHttpError {
  return new PostgrestHttpError(400, "PGRST100", message, details, null);
}

function ident(name: string, what: string): string {
  if (!IDENTIFIER.test(name)) throw parseError(`failed to parse ${what}`, `unexpected "${name}"`);
  return `"${name}"`;
}

function selectList(table: string, raw: string | null): string {
  if (raw === null || raw.trim() === "" || raw.trim() === "*") return `"${table}".*`;
  return raw
    .split(",")
    .map((c) => c.trim())
    .map((c) => (c === "*" ? `"${table}".*` : `"${table}".${ident(c, "select parameter")}`))
    .join(", ");
}

function splitList(raw: string): string[] {
  // in.(a,b,"c,d"): values separated by commas, double quotes protect commas.
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|([^,]+)/g;
  for (const m of raw.matchAll(re)) out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, "$1") : (m[2] ?? "").trim());
  return out;
}

function whereClause(table: string, params: URLSearchParams, values: unknown[]): string {
  const parts: string[] = [];
  for (const [key, raw] of params) {
    if (RESERVED.has(key)) continue;
    const column = `"${table}".${ident(key, `filter (${key})`)}`;
    const dot = raw.indexOf(".");
    const op = dot < 0 ? "" : raw.slice(0, dot);
    const operand = dot < 0 ? "" : raw.slice(dot + 1);
    if (op === "is") {
      const literal = { null: "null", true: "true", false: "false", unknown: "unknown" }[operand.toLowerCase()];
      if (!literal) throw parseError(`failed to parse filter (${raw})`);
      parts.push(`${column} is ${literal}`);
    } else if (op === "in") {
      if (!operand.startsWith("(") || !operand.endsWith(")")) throw parseError(`failed to parse filter (${raw})`);
      const items = splitList(operand.slice(1, -1));
      if (items.length === 0) parts.push("false");
      else
        parts.push(
          `${column} in (${items
            .map((v) => {
              values.push(v);
              return `$${values.length}`;
            })
            .join(", ")})`,
        );
    } else if (OPERATORS[op]) {
      values.push(op === "like" || op === "ilike" ? operand.replaceAll("*", "%") : operand);
      parts.push(`${column} ${OPERATORS[op]} $${values.length}`);
    } else {
      throw parseError(`failed to parse filter (${raw})`, `unknown operator "${op}"`);
    }
  }
  return parts.length > 0 ? `where ${parts.join(" and ")}` : "";
}

function orderClause(table: string, raw: string | null): string {
  if (!raw) return "";
  const terms = raw.split(",").map((term) => {
    const [col = "", ...mods] = term.trim().split(".");
    const sql = [`"${table}".${ident(col, "order parameter")}`];
    for (const mod of mods) {
      const word = { asc: "asc", desc: "desc", nullsfirst: "nulls first", nullslast: "nulls last" }[mod];
      if (!word) throw parseError(`failed to parse order (${raw})`);
      sql.push(word);
    }
    return sql.join(" ");
  });
  return `order by ${terms.join(", ")}`;
}

function nonNegative(raw: string | null, what: string): number | null {
  if (raw === null) return null;
  if (!/^\d+$/.test(raw)) throw parseError(`failed to parse ${what} parameter (${raw})`);
  return Number(raw);
}

async function assertTable(db: PoolClient, schema: string, table: string): Promise<void> {
  const found = IDENTIFIER.test(table)
    ? await db.query(
        "select 1 from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = $1 and c.relname = $2 and c.relkind in ('r','v','m','p','f')",
        [schema, table],
      )
    : { rowCount: 0 };
  if (!found.rowCount) {
    throw new PostgrestHttpError(404, "PGRST205", `Could not find the table '${schema}.${table}' in the schema cache`, null, null);
  }
}

async function primaryKey(db: PoolClient, schema: string, table: string): Promise<string[]> {
  const { rows } = await db.query<{ name: string }>(
    `select a.attname as name from pg_index i
     join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey)
     where i.indrelid = format('%I.%I', $1::text, $2::text)::regclass and i.indisprimary`,
    [schema, table],
  );
  return rows.map((r) => r.name);
}

function shape(req: TableRequest, json: string, okStatus: number, total?: number): GatewayResult {
  const rows = JSON.parse(json) as unknown[];
  const range = rows.length === 0 ? "*" : `0-${rows.length - 1}`;
  const headers = { "Content-Range": `${range}/${total ?? "*"}` };
  const wantsBody = req.method === "GET" || req.method === "HEAD" || req.prefer.includes("return=representation");
  if (req.single && wantsBody) {
    if (rows.length !== 1) {
      throw new PostgrestHttpError(
        406,
        "PGRST116",
        "Cannot coerce the result to a single JSON object",
        `The result contains ${rows.length} rows`,
        null,
      );
    }
    return { status: okStatus, body: JSON.stringify(rows[0]), headers };
  }
  if (!wantsBody) return { status: req.method === "POST" ? 201 : 204, body: null, headers };
  return { status: okStatus, body: req.method === "HEAD" ? null : json, headers };
}

/** Serves one table request inside the caller's transaction. */
export async function handleTable(db: PoolClient, req: TableRequest): Promise<GatewayResult> {
  await assertTable(db, req.schema, req.table);
  const target = `"${req.schema}"."${req.table}"`;
  const t = req.table;
  const values: unknown[] = [];
  const where = whereClause(t, req.params, values);
  const cols = selectList(t, req.params.get("select"));
  const agg = (source: string) => `select coalesce(json_agg(_r), '[]'::json)::text as body from (select ${cols} from ${source}) _r`;

  if (req.method === "GET" || req.method === "HEAD") {
    const limit = nonNegative(req.params.get("limit"), "limit");
    const offset = nonNegative(req.params.get("offset"), "offset");
    const page = `${target} ${where} ${orderClause(t, req.params.get("order"))}${limit === null ? "" : ` limit ${limit}`}${offset === null ? "" : ` offset ${offset}`}`;
    const { rows } = await db.query<{ body: string }>(agg(page), values);
    let total: number | undefined;
    if (req.prefer.includes("count=exact")) {
      const counted = await db.query<{ n: string }>(`select count(*) as n from ${target} ${where}`, values);
      total = Number(counted.rows[0]?.n ?? 0);
    }
    return shape(req, rows[0]?.body ?? "[]", 200, total);
  }

  // Writes: the CTE is named like the table so column errors read "column <table>.<col> ...".
  if (req.method === "POST") {
    const rowsIn = Array.isArray(req.body) ? req.body : [req.body];
    if (rowsIn.length === 0 || !rowsIn.every((r) => typeof r === "object" && r !== null && !Array.isArray(r))) {
      throw new PostgrestHttpError(400, "PGRST102", "Empty or invalid json", null, null);
    }
    const objects = rowsIn as Array<Record<string, unknown>>;
    // Without `columns=`, PostgREST takes the first object's keys and wants the same in all.
    const listed = req.params.get("columns");
    const names = listed ? listed.split(",").map((c) => c.trim().replace(/^"(.*)"$/, "$1")) : Object.keys(objects[0] ?? {});
    if (!listed) {
      const first = [...names].sort().join(",");
      if (objects.some((o) => Object.keys(o).sort().join(",") !== first)) {
        throw new PostgrestHttpError(400, "PGRST102", "All object keys must match", null, null);
      }
    }
    const keys = names.map((k) => ident(k, "columns"));
    const missing = req.prefer.includes("missing=default") ? "default" : "null";
    // Each value goes through json_populate_record so Postgres converts it to the column's type.
    const tuples = objects.map((o) => {
      values.push(JSON.stringify(o));
      const rowParam = `$${values.length}::json`;
      return `(${names.map((n, i) => (n in o ? `(json_populate_record(null::${target}, ${rowParam})).${keys[i]}` : missing)).join(", ")})`;
    });
    let conflict = "";
    const resolution = req.prefer.find((p) => p.startsWith("resolution="));
    if (resolution) {
      const onConflict = req.params.get("on_conflict");
      const targetCols = onConflict
        ? onConflict.split(",").map((c) => ident(c.trim(), "on_conflict"))
        : (await primaryKey(db, req.schema, t)).map((c) => `"${c}"`);
      conflict =
        resolution === "resolution=ignore-duplicates"
          ? `on conflict (${targetCols.join(", ")}) do nothing`
          : `on conflict (${targetCols.join(", ")}) do update set ${keys.map((k) => `${k} = excluded.${k}`).join(", ")}`;
    }
    const insert = `insert into ${target} (${keys.join(", ")}) values ${tuples.join(", ")} ${conflict} returning *`;
    const { rows } = await db.query<{ body: string }>(`with "${t}" as (${insert}) ${agg(`"${t}"`)}`, values);
    return shape(req, rows[0]?.body ?? "[]", 201);
  }
  if (req.method === "PATCH") {
    if (typeof req.body !== "object" || req.body === null || Array.isArray(req.body)) {
      throw new PostgrestHttpError(400, "PGRST102", "Empty or invalid json", null, null);
    }
    const keys = Object.keys(req.body).map((k) => ident(k, "columns"));
    if (keys.length === 0) return shape(req, "[]", 200);
    values.push(JSON.stringify(req.body));
    const update = `update ${target} set ${keys.map((k) => `${k} = _v.${k}`).join(", ")} from json_populate_record(null::${target}, $${values.length}::json) as _v ${where} returning "${t}".*`;
    const { rows } = await db.query<{ body: string }>(`with "${t}" as (${update}) ${agg(`"${t}"`)}`, values);
    return shape(req, rows[0]?.body ?? "[]", 200);
  }
  if (req.method === "DELETE") {
    const del = `delete from ${target} ${where} returning *`;
    const { rows } = await db.query<{ body: string }>(`with "${t}" as (${del}) ${agg(`"${t}"`)}`, values);
    return shape(req, rows[0]?.body ?? "[]", 200);
  }
  throw new PostgrestHttpError(405, "PGRST117", `Unsupported HTTP method: ${req.method}`, null, null);
}
