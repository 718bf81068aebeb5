// The Hono environment type shared by the API modules.

import type { Actor } from "../domain/actor";

export interface AppEnv {
  Bindings: Env;
  /** `tenant` and `actor` are set by the authentication middleware (auth.ts), once per request. */
  Variables: { tenant: string; actor: Actor; requestId: string };
}
