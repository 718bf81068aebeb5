// The result of one adapter's readiness check, shared by every check and by GET /readyz.

/** Ready, or what does not work and the operator's fix (neither ever contains a secret). */
export type AdapterCheck = { ok: true } | { ok: false; problem: string; fix: string };
