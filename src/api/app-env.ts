// The Hono environment type shared by the API modules.

export interface AppEnv {
  Bindings: Env;
  Variables: { tenant: string; requestId: string };
}
