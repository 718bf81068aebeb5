// The dashboard's fetch layer: the session's key as a Bearer header, JSON in and out, and every
// failure as an ApiError carrying the API's error envelope (code, message, the field it names).
import { credential, signOut } from "../session";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = "ApiError";
  }

  /** The request field the API blamed (`details.field`), if any. */
  get field(): string | undefined {
    const f = this.details?.["field"];
    return typeof f === "string" ? f : undefined;
  }
}

type Query = Record<string, string | number | boolean | undefined | null>;

export interface RequestOptions {
  method?: "GET" | "POST" | "PUT" | "DELETE";
  query?: Query;
  body?: unknown;
  /** A credential to try instead of the session's (the sign-in check). */
  key?: string;
}

function withQuery(path: string, query?: Query): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== null && v !== "") params.set(k, String(v));
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

async function errorOf(res: Response): Promise<ApiError> {
  const text = await res.text();
  try {
    const body = JSON.parse(text) as { error?: { code?: string; message?: string; details?: Record<string, unknown> } };
    if (body.error?.code) return new ApiError(res.status, body.error.code, body.error.message ?? res.statusText, body.error.details);
  } catch (e) {
    if (!(e instanceof SyntaxError)) throw e;
  }
  return new ApiError(res.status, "http_error", `HTTP ${res.status} ${res.statusText}`.trim());
}

/** Calls the API. A 401 with the session's own key ends the session (back to sign-in). */
export async function request<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const key = options.key ?? credential();
  const headers: Record<string, string> = { accept: "application/json" };
  if (key) headers["authorization"] = `Bearer ${key}`;
  let body: string | undefined;
  if (options.body !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(options.body);
  }
  let res: Response;
  try {
    res = await fetch(withQuery(path, options.query), { method: options.method ?? "GET", headers, body });
  } catch (e) {
    throw new ApiError(0, "network_error", `the API could not be reached (${e instanceof Error ? e.message : String(e)})`);
  }
  if (!res.ok) {
    const err = await errorOf(res);
    if (res.status === 401 && options.key === undefined && key) signOut("Your key was refused (401): sign in again.");
    throw err;
  }
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

/** Downloads a file the API serves (with the session's key) as a Blob. */
export async function download(path: string): Promise<Blob> {
  const key = credential();
  let res: Response;
  try {
    res = await fetch(path, { headers: key ? { authorization: `Bearer ${key}` } : {} });
  } catch (e) {
    throw new ApiError(0, "network_error", `the API could not be reached (${e instanceof Error ? e.message : String(e)})`);
  }
  if (!res.ok) {
    if (res.status === 401 && key) signOut("Your key was refused (401): sign in again.");
    throw await errorOf(res);
  }
  return res.blob();
}
