// Supabase sign-in, when the deployment has it (GET /dashboard/config): email and password go to
// the project's Auth API (the password grant of its token endpoint), and the access token it
// returns is then the dashboard's credential, as an API key would be.
import { request } from "./http";

export interface SupabaseConfig {
  url: string;
  anon_key: string;
}

export function dashboardConfig(): Promise<{ supabase: SupabaseConfig | null }> {
  return request("/dashboard/config");
}

/** Exchanges an email and password for a Supabase access token; throws the Auth API's reason. */
export async function supabasePasswordSignIn(config: SupabaseConfig, email: string, password: string): Promise<string> {
  let res: Response;
  try {
    res = await fetch(`${config.url}/auth/v1/token?grant_type=password`, {
      method: "POST",
      headers: { apikey: config.anon_key, "content-type": "application/json" },
      body: JSON.stringify({ email, password }),
    });
  } catch (e) {
    throw new Error(`Supabase could not be reached (${e instanceof Error ? e.message : String(e)})`);
  }
  const text = await res.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    if (!(e instanceof SyntaxError)) throw e;
  }
  if (!res.ok || typeof body["access_token"] !== "string") {
    const reason = body["error_description"] ?? body["msg"] ?? body["message"] ?? body["error"] ?? `HTTP ${res.status}`;
    throw new Error(`Supabase refused the sign-in: ${String(reason)}`);
  }
  return body["access_token"];
}
