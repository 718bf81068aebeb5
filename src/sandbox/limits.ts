// run_code's limits, apart from the sandbox itself so the tool's description and schema can name
// them without loading the JavaScript parser.

/** Default time limit of a call, ms (10 s). */
export const DEFAULT_TIMEOUT_MS = 10_000;
/** Longest time limit a call may ask for, ms (30 s). */
export const MAX_TIMEOUT_MS = 30_000;
/** Largest result returned, bytes of JSON (64 KB). */
export const MAX_RESULT_BYTES = 64 * 1024;
