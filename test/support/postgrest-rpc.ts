// `POST|GET /rest/v1/rpc/<fn>` of the local PostgREST gateway: finds the function by name and
// argument names in pg_proc, calls it with named arguments and shapes the JSON like PostgREST
// (scalar, object for a composite, array for a set, 204 for void).
import type { PoolClient } from "pg";
import { PostgrestHttpError } from "./postgrest-errors";

/** Identifiers we are willing to splice into SQL (always double-quoted as well). */
export const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** What the gateway sends back: a status and a JSON text body (null = no body). */
export interface GatewayResult {
  status: number;
  body: string | null;
  headers?: Record<string, string>;
}

interface FunctionRow {
  argnames: string[];
  argmodes: string[];
  argtypes: string[];
  nargdefaults: number;
  retset: boolean;
  typtype: string;
  typname: string;
}

interface FunctionCandidate {
  inputs: Array<{ name: string; type: string }>;
  required: number;
  shape: "scalar" | "object" | "array" | "void";
}

const LOOKUP_SQL = `
  select coalesce(p.proargnames, '{}') as argnames,
         coalesce(p.proargmodes::text[], '{}') as argmodes,
         array(select format_type(a.t, null)
               from unnest(p.proargtypes::oid[]) with ordinality as a(t, i) order by a.i) as argtypes,
         p.pronargdefaults as nargdefaults, p.proretset as retset, t.typtype::text as typtype, t.typname::text as typname
  from pg_proc p
  join pg_namespace n on n.oid = p.pronamespace
  join pg_type t on t.oid = p.prorettype
  where n.nspname = $1 and p.proname = $2 and p.prokind = 'f'`;

function toCandidate(row: FunctionRow): FunctionCandidate {
  // proargtypes lists input arguments only; proargnames/proargmodes list every argument.
  const inputNames =
    row.argmodes.length === 0
      ? row.argnames.slice(0, row.argtypes.length)
      : row.argnames.filter((_, i) => ["i", "b", "v"].includes(row.argmodes[i] ?? "i"));
  const inputs = row.argtypes.map((type, i) => ({ name: inputNames[i] ?? "", type }));
  const shape = row.retset
    ? "array"
    : row.typname === "void"
      ? "void"
      : row.typtype === "c" || row.typname === "record"
        ? "object"
        : "scalar";
  return { inputs, required: inputs.length - row.nargdefaults, shape };
}

function matches(candidate: FunctionCandidate, keys: string[]): boolean {
  const names = candidate.inputs.map((a) => a.name);
  if (names.some((n) => n === "") && names.length > 0) return false;
  if (!keys.every((k) => names.includes(k))) return false;
  return names.slice(0, candidate.required).every((n) => keys.includes(n));
}

function notFound(schema: string, fn: string, keys: string[]): PostgrestHttpError {
  const sorted = [...keys].sort();
  const searched = sorted.length > 0 ? `with parameters ${sorted.join(", ")}` : "without parameters";
  return new PostgrestHttpError(
    404,
    "PGRST202",
    `Could not find the function ${schema}.${fn}(${sorted.join(", ")}) in the schema cache`,
    `Searched for the function ${schema}.${fn} ${searched} or with a single unnamed json/jsonb parameter, but no matches were found in the schema cache.`,
    null,
  );
}

/**
 * Calls `schema.fn` with the named arguments `args` inside the caller's transaction. JSON values
 * are converted to the declared argument types by Postgres (json_to_record), never spliced.
 */
export async function callFunction(db: PoolClient, schema: string, fn: string, args: Record<string, unknown>): Promise<GatewayResult> {
  const keys = Object.keys(args);
  if (!IDENTIFIER.test(fn) || !keys.every((k) => IDENTIFIER.test(k))) throw notFound(schema, fn, keys);
  const { rows } = await db.query<FunctionRow>(LOOKUP_SQL, [schema, fn]);
  const found = rows.map(toCandidate).filter((c) => matches(c, keys));
  if (found.length === 0) throw notFound(schema, fn, keys);
  if (found.length > 1) {
    throw new PostgrestHttpError(
      300,
      "PGRST203",
      `Could not choose the best candidate function between: ${found.map((c) => `${schema}.${fn}(${c.inputs.map((a) => `${a.name} => ${a.type}`).join(", ")})`).join(", ")}`,
      null,
      "Try renaming the parameters or the function itself in the database so function overloading can be resolved",
    );
  }
  const chosen = found[0] as FunctionCandidate;
  const passed = chosen.inputs.filter((a) => keys.includes(a.name));
  const call = `"${schema}"."${fn}"(${passed.map((a) => `"${a.name}" := _args."${a.name}"`).join(", ")})`;
  const from =
    passed.length > 0
      ? `from json_to_record($1::json) as _args(${passed.map((a) => `"${a.name}" ${a.type}`).join(", ")})`
      : "from (select $1::json) as _args";
  const sql = {
    scalar: `select to_json(${call})::text as body ${from}`,
    object: `select to_json(_t)::text as body ${from} cross join lateral ${call} as _t`,
    array: `select coalesce(json_agg(_t), '[]'::json)::text as body ${from} cross join lateral ${call} as _t`,
    void: `select ${call} ${from}`,
  }[chosen.shape];
  const result = await db.query<{ body: string | null }>(sql, [JSON.stringify(args)]);
  if (chosen.shape === "void") return { status: 204, body: null };
  return { status: 200, body: result.rows[0]?.body ?? "null" };
}
