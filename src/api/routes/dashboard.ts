// GET /dashboard/config (no auth): what the dashboard's sign-in page needs to know about this
// deployment. Only public values: the Supabase project URL and its anon key, when Supabase sign-in
// is configured (JWT auth and SUPABASE_ANON_KEY); never a secret.
import { Hono } from "hono";
import { externalAdapters, setting } from "../../deps";
import type { AppEnv } from "../app-env";

export const dashboard = new Hono<AppEnv>();

dashboard.get("/config", (c) => {
  const jwt = externalAdapters(c.env).jwt;
  const anonKey = setting(c.env, "SUPABASE_ANON_KEY");
  const supabase = jwt && anonKey ? { url: jwt.issuer.replace(/\/auth\/v1$/, ""), anon_key: anonKey } : null;
  c.header("cache-control", "no-store");
  return c.json({ supabase });
});
