// The `run_code` tool: JavaScript the model writes, run in a fresh Dynamic Worker with no network
// and this run's workspace as `files` → `{result, logs}`. A thrown error, a timeout or a result too
// large is a tool error carrying `{result: null, logs, error: {name, message}}`, not a failed step.

import { DEFAULT_TIMEOUT_MS, MAX_RESULT_BYTES, MAX_TIMEOUT_MS } from "../../sandbox/limits";
import type { ToolDefinition } from "./tool";

/** Longest code accepted, characters (64 KB). */
export const MAX_CODE_CHARS = 64 * 1024;

/** `run_code {code, input?, timeout_ms?}` → `{result, logs}` (timeout default 10 s, at most 30 s). */
export const RUN_CODE: ToolDefinition = {
  name: "run_code",
  description:
    "Run JavaScript in an isolated sandbox with no network access. `code` is an ES module whose default export is " +
    "`async (input, { files }) => result`; `files.read(path)` returns a file's text, `files.write(path, text, contentType?)` " +
    "returns {path, size}, `files.list(prefix?)` returns [{path, size, updated_at}] (this run's workspace). " +
    `Returns {result, logs}: result as JSON (at most ${MAX_RESULT_BYTES} bytes; write larger output to a file), ` +
    `logs the console lines (at most 200). timeout_ms defaults to ${DEFAULT_TIMEOUT_MS}, at most ${MAX_TIMEOUT_MS}.`,
  input_schema: {
    type: "object",
    properties: {
      code: { type: "string", minLength: 1, maxLength: MAX_CODE_CHARS },
      input: { description: "Any JSON value, passed as the first argument." },
      timeout_ms: { type: "integer", minimum: 1, maximum: MAX_TIMEOUT_MS },
    },
    required: ["code"],
    additionalProperties: false,
  },
  async run(raw, ctx) {
    const { code, input, timeout_ms } = raw as { code: string; input?: unknown; timeout_ms?: number };
    const outcome = await ctx.services.runCode(ctx.runId, { code, input: input ?? null, timeoutMs: timeout_ms ?? DEFAULT_TIMEOUT_MS });
    if (outcome.error) return { ok: false, error: JSON.stringify({ result: null, logs: outcome.logs, error: outcome.error }) };
    return { ok: true, value: { result: outcome.result, logs: outcome.logs } };
  },
};
