// GET /dashboard/config (no auth): what the dashboard's sign-in page needs to know about this
// deployment. Only public values: the Supabase project URL and its anon key, when Supabase sign-in
// is configured (JWT auth and SUPABASE_ANON_KEY); never a secret.
import { createRoute, z } from "@hono/zod-openapi";
import { externalAdapters, setting } from "../../deps";
import { errors, json, NO_SECURITY } from "../schemas/common";
import { router } from "../validation";

export const dashboard = router();

const DashboardConfig = z
  .object({ supabase: z.object({ url: z.string(), anon_key: z.string() }).nullable() })
  .openapi("DashboardConfig", { description: "`supabase` is null unless Supabase sign-in is configured" });

const config = createRoute({
  method: "get",
  path: "/config",
  operationId: "getDashboardConfig",
  tags: ["System"],
  summary: "The dashboard's public configuration",
  security: NO_SECURITY,
  responses: { 200: json(DashboardConfig, "Public sign-in settings"), ...errors() },
});

dashboard.openapi(config, (c) => {
  const jwt = externalAdapters(c.env).jwt;
  const anonKey = setting(c.env, "SUPABASE_ANON_KEY");
  const supabase = jwt && anonKey ? { url: jwt.issuer.replace(/\/auth\/v1$/, ""), anon_key: anonKey } : null;
  c.header("cache-control", "no-store");
  return c.json({ supabase }, 200);
});
