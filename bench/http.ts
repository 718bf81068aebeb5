// JSON over HTTP for the benchmark: one request with a time limit, and polling until a condition
// holds. Only ever called with loopback origins (checked here).

/** A request to a local Worker; `token` is sent as a Bearer token. Throws on a non-2xx answer. */
export async function call<T>(
  origin: string,
  path: string,
  init: { method?: string; token?: string; body?: unknown; timeoutMs?: number } = {},
): Promise<T> {
  const url = new URL(path, origin);
  if (url.hostname !== "127.0.0.1") throw new Error(`refusing to send benchmark traffic to ${url.hostname}`);
  const headers: Record<string, string> = {};
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  if (init.body !== undefined) headers["content-type"] = "application/json";
  const method = init.method ?? (init.body === undefined ? "GET" : "POST");
  const res = await fetch(url, {
    method,
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    signal: AbortSignal.timeout(init.timeoutMs ?? 10_000),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${url.pathname} answered ${res.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}

/**
 * Calls `read` every `everyMs` until `done` holds for its answer or `deadline` (epoch ms) passes.
 * Returns the last answer and the time it was observed; `timedOut` when the deadline won.
 */
export async function pollUntil<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  everyMs: number,
  deadline: number,
): Promise<{ value: T | null; at: number; timedOut: boolean }> {
  let value: T | null = null;
  while (Date.now() < deadline) {
    value = await read();
    const at = Date.now();
    if (done(value)) return { value, at, timedOut: false };
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return { value, at: Date.now(), timedOut: true };
}
