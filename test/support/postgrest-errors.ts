// PostgREST's error envelope `{ code, message, details, hint }` and its mapping of Postgres
// SQLSTATE codes to HTTP statuses, for the local PostgREST gateway.

/** The JSON body PostgREST answers with on every error. */
export interface PostgrestErrorBody {
  code: string | null;
  message: string;
  details: string | null;
  hint: string | null;
}

/** An error the gateway renders as `status` + PostgREST body. */
export class PostgrestHttpError extends Error {
  readonly body: PostgrestErrorBody;
  constructor(
    readonly status: number,
    code: string | null,
    message: string,
    details: string | null = null,
    hint: string | null = null,
  ) {
    super(message);
    this.name = "PostgrestHttpError";
    this.body = { code, message, details, hint };
  }
}

/** The HTTP status PostgREST gives a Postgres SQLSTATE (PostgREST's documented table). */
export function statusForSqlState(code: string): number {
  const exact: Record<string, number> = {
    "23503": 409,
    "23505": 409,
    "25006": 405,
    "42883": 404,
    "42P01": 404,
    "42P17": 500,
    "42501": 403,
    "53400": 500,
    P0001: 400,
  };
  const known = exact[code];
  if (known !== undefined) return known;
  const byClass: Array<[string, number]> = [
    ["08", 503],
    ["09", 500],
    ["0L", 403],
    ["0P", 403],
    ["25", 500],
    ["28", 403],
    ["2D", 500],
    ["38", 500],
    ["39", 500],
    ["3B", 500],
    ["40", 500],
    ["53", 503],
    ["54", 500],
    ["55", 500],
    ["57", 500],
    ["58", 500],
    ["F0", 500],
    ["HV", 500],
    ["P0", 500],
    ["XX", 500],
  ];
  for (const [prefix, status] of byClass) if (code.startsWith(prefix)) return status;
  return 400;
}

interface PgErrorLike {
  code?: unknown;
  message?: unknown;
  detail?: unknown;
  hint?: unknown;
}

function isPgError(err: unknown): err is PgErrorLike & { code: string } {
  return (
    typeof err === "object" &&
    err !== null &&
    typeof (err as PgErrorLike).code === "string" &&
    /^[0-9A-Z]{5}$/.test((err as { code: string }).code)
  );
}

/** Turns a thrown error into what PostgREST would answer; non-Postgres errors become a 500. */
export function toPostgrestError(err: unknown): PostgrestHttpError {
  if (err instanceof PostgrestHttpError) return err;
  if (isPgError(err)) {
    const text = (v: unknown) => (typeof v === "string" && v.length > 0 ? v : null);
    return new PostgrestHttpError(
      statusForSqlState(err.code),
      err.code,
      text(err.message) ?? "database error",
      text(err.detail),
      text(err.hint),
    );
  }
  // Connection failures and the like: PostgREST reports them as 503 PGRST000-style errors.
  const message = err instanceof Error ? err.message : String(err);
  return new PostgrestHttpError(503, "PGRST000", "Database client error. Retrying the connection.", message, null);
}
