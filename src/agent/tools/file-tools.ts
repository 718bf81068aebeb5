// The file tools `file_write`, `file_read` and `file_list`: the run's workspace (its files in R2)
// as the model sees it. A broken path or limit comes back as a tool error, never a failed step.

import { MAX_PATH_LENGTH } from "../../workspace/paths";
import type { FileOutcome } from "../../workspace/run-workspace";
import type { ToolDefinition, ToolResult } from "./tool";

const PATH = {
  type: "string",
  minLength: 1,
  maxLength: MAX_PATH_LENGTH,
  description: "Relative path of letters, digits, '.', '_', '-' and '/', e.g. reports/summary.csv (no '..').",
};

function answer<T>(outcome: FileOutcome<T>): ToolResult {
  return outcome.ok ? { ok: true, value: outcome.value } : { ok: false, error: outcome.error.message };
}

/** `file_write {path, content, content_type?}` → `{path, size}`; overwrites a file of that path. */
export const FILE_WRITE: ToolDefinition = {
  name: "file_write",
  description:
    "Write a text file to this run's workspace (replacing any file of that path). Returns {path, size}. " +
    "Files are at most 1 MB each; a run holds at most 1,000 files and 50 MB unless configured otherwise.",
  input_schema: {
    type: "object",
    properties: {
      path: PATH,
      content: { type: "string", description: "The file's text (UTF-8)." },
      content_type: { type: "string", maxLength: 127, description: "Media type, e.g. text/csv; default from the extension." },
    },
    required: ["path", "content"],
    additionalProperties: false,
  },
  async run(raw, ctx) {
    const { path, content, content_type } = raw as { path: string; content: string; content_type?: string };
    return answer(await ctx.services.workspace(ctx.runId).write(path, content, content_type));
  },
};

/** `file_read {path}` → `{content, content_type, size}`. */
export const FILE_READ: ToolDefinition = {
  name: "file_read",
  description: "Read a text file from this run's workspace. Returns {content, content_type, size}.",
  input_schema: { type: "object", properties: { path: PATH }, required: ["path"], additionalProperties: false },
  async run(raw, ctx) {
    const { path } = raw as { path: string };
    return answer(await ctx.services.workspace(ctx.runId).read(path));
  },
};

/** `file_list {prefix?}` → `{files: [{path, size, updated_at}]}`, in path order. */
export const FILE_LIST: ToolDefinition = {
  name: "file_list",
  description:
    "List the files in this run's workspace, optionally only those under a path prefix. Returns {files: [{path, size, updated_at}]}.",
  input_schema: {
    type: "object",
    properties: { prefix: { type: "string", maxLength: MAX_PATH_LENGTH, description: "Only paths starting with this, e.g. reports/." } },
    additionalProperties: false,
  },
  async run(raw, ctx) {
    const { prefix } = raw as { prefix?: string };
    return answer(await ctx.services.workspace(ctx.runId).list(prefix ?? ""));
  },
};
