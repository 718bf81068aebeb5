// The workspace binding run_code's isolate receives (`env.FILES`): an RPC entrypoint of our Worker
// whose props, set by our Worker when it loads the isolate, name the one run it may reach. Code in
// the isolate can call its methods but cannot change its props, and every path goes through the
// run's workspace rules, so no key outside `runs/<tenant>/<run>/` can be named.

import { WorkerEntrypoint } from "cloudflare:workers";
import { runWorkspace } from "../deps";
import type { FileErrorCode, FileOutcome, RunScope } from "../workspace/run-workspace";

const refuse = (code: FileErrorCode, message: string): FileOutcome<never> => ({ ok: false, error: { code, message } });

/** `env.FILES` of run_code's isolate; props: the run (tenant id, run id) it reaches. */
export class WorkspaceFiles extends WorkerEntrypoint<Env, RunScope> {
  private workspace() {
    const { tenantId, runId } = this.ctx.props;
    return runWorkspace(this.env, { tenantId, runId });
  }

  /** `files.read(path)`: the file as text. */
  async read(path: unknown) {
    if (typeof path !== "string") return refuse("invalid_path", "path must be a string");
    return this.workspace().read(path);
  }

  /** `files.write(path, content, contentType?)`: `{path, size}`. */
  async write(path: unknown, content: unknown, contentType?: unknown) {
    if (typeof path !== "string") return refuse("invalid_path", "path must be a string");
    if (typeof content !== "string") return refuse("invalid_content", "content must be a string (text); use JSON.stringify for data");
    if (contentType !== undefined && contentType !== null && typeof contentType !== "string")
      return refuse("invalid_content_type", "contentType must be a string");
    return this.workspace().write(path, content, contentType ?? undefined);
  }

  /** `files.list(prefix?)`: `{files}`. */
  async list(prefix?: unknown) {
    if (prefix !== undefined && typeof prefix !== "string") return refuse("invalid_path", "prefix must be a string");
    return this.workspace().list(prefix ?? "");
  }
}
