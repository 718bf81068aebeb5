// Readiness of Upstash Redis: one PING over the REST API, judged by the HTTP status, so a wrong
// token or URL is named with its fix (never with the token).
import type { AdapterCheck } from "../readiness-types";
import type { UpstashHeartbeatsConfig } from "./upstash";

const TOKEN_FIX = "set UPSTASH_REDIS_REST_TOKEN to the database's REST token (Upstash console → REST API)";
const URL_FIX = "set UPSTASH_REDIS_REST_URL to the database's REST URL, e.g. https://<name>.upstash.io";

/** Sends PING; ok when Redis answers PONG. One REST request. */
export async function checkUpstash(config: UpstashHeartbeatsConfig, timeoutMs = 5000): Promise<AdapterCheck> {
  let res: Response;
  try {
    res = await fetch(config.url.replace(/\/+$/, ""), {
      method: "POST",
      headers: { authorization: `Bearer ${config.token}`, "content-type": "application/json" },
      body: JSON.stringify(["PING"]),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    return { ok: false, problem: `Upstash Redis is unreachable (${reason})`, fix: URL_FIX };
  }
  const text = await res.text();
  if (res.status === 401 || res.status === 403) {
    return { ok: false, problem: `Upstash Redis rejected the token (HTTP ${res.status})`, fix: TOKEN_FIX };
  }
  if (!res.ok) return { ok: false, problem: `Upstash Redis answered HTTP ${res.status}`, fix: URL_FIX };
  let result: unknown;
  try {
    result = (JSON.parse(text) as { result?: unknown }).result;
  } catch (err) {
    return { ok: false, problem: `Upstash Redis answered something other than JSON (${(err as Error).message})`, fix: URL_FIX };
  }
  return result === "PONG" ? { ok: true } : { ok: false, problem: "Upstash Redis did not answer PING with PONG", fix: URL_FIX };
}
