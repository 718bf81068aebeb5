// Who made a request: the authenticated caller an audit trail records.

/**
 * The caller behind a request: an API key (`id` = key id; the development key is `dev`), a
 * Supabase JWT (`id` = its subject) or the admin token (`id` = `admin`).
 */
export interface Actor {
  type: "api_key" | "jwt" | "admin";
  id: string;
}
