// Readiness of QStash: the token is tried on a read-only call (the dead-letter listing) and the
// public URL deliveries come back to is checked for shape. Never reports the token or the keys.
import type { AdapterCheck } from "../readiness-types";
import type { QStashSchedulerConfig } from "./qstash";

const TOKEN_FIX = "set QSTASH_TOKEN to the token shown in the QStash console";
const URL_FIX = "set QSTASH_URL to the QStash API URL (default https://qstash.upstash.io)";

/** Checks PUBLIC_URL and the token (one GET /v2/dlq). */
export async function checkQStash(config: QStashSchedulerConfig, timeoutMs = 5000): Promise<AdapterCheck> {
  let publicUrl: URL;
  try {
    publicUrl = new URL(config.publicUrl);
  } catch (err) {
    return {
      ok: false,
      problem: `PUBLIC_URL is not a URL (${(err as Error).message})`,
      fix: "set PUBLIC_URL to this deployment's https URL",
    };
  }
  if (publicUrl.protocol !== "https:" && publicUrl.protocol !== "http:") {
    return { ok: false, problem: "PUBLIC_URL is not an http(s) URL", fix: "set PUBLIC_URL to this deployment's https URL" };
  }
  const base = (config.baseUrl ?? "https://qstash.upstash.io").replace(/\/+$/, "");
  let res: Response;
  try {
    res = await fetch(`${base}/v2/dlq`, { headers: { authorization: `Bearer ${config.token}` }, signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    return { ok: false, problem: `QStash is unreachable (${err instanceof Error ? err.message : String(err)})`, fix: URL_FIX };
  }
  // The body is not needed; read it so the connection can be reused.
  await res.arrayBuffer();
  if (res.status === 401 || res.status === 403)
    return { ok: false, problem: `QStash rejected the token (HTTP ${res.status})`, fix: TOKEN_FIX };
  if (!res.ok) return { ok: false, problem: `QStash answered HTTP ${res.status}`, fix: URL_FIX };
  return { ok: true };
}
