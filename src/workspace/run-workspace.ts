// One run's workspace: its files under `runs/<tenant>/<run>/` in the WorkspaceStore, the path rules
// and the size limits. Every way in (tools, run_code's binding, run creation, the files API) goes
// through here, so no caller can name a key outside the run it was given.

import type { WorkspaceStore } from "../adapters/workspace/port";
import { errorText, log } from "../ops/log";
import { contentTypeProblem, defaultContentType } from "./content-type";
import type { WorkspaceLimits } from "./limits";
import { pathProblem, prefixProblem } from "./paths";

/** Whose workspace: the run and its tenant. */
export interface RunScope {
  tenantId: string;
  runId: string;
}

/** Why a file operation was refused. */
export type FileErrorCode =
  | "invalid_path"
  | "invalid_content"
  | "invalid_content_type"
  | "not_found"
  | "file_too_large"
  | "too_many_files"
  | "workspace_full";

/** A refused file operation; the tools show `message` to the model. */
export interface FileError {
  code: FileErrorCode;
  message: string;
}

/** A file operation's answer: its value, or the refusal. */
export type FileOutcome<T> = { ok: true; value: T } | { ok: false; error: FileError };

/** A file as listings show it. */
export interface FileInfo {
  path: string;
  /** Bytes. */
  size: number;
  /** ISO 8601. */
  updated_at: string;
}

/** A file read as text. */
export interface FileText {
  content: string;
  content_type: string;
  /** Bytes. */
  size: number;
}

/** What a workspace holds: number of files and their bytes. */
export interface WorkspaceUsage {
  files: number;
  bytes: number;
}

const refuse = <T>(code: FileErrorCode, message: string): FileOutcome<T> => ({ ok: false, error: { code, message } });

/** The key prefix of a run's files. Tenant ids hold no `/` and run ids are fixed-form, so prefixes never nest. */
export function workspacePrefix(scope: RunScope): string {
  return `runs/${scope.tenantId}/${scope.runId}/`;
}

/** The files of one run, under the deployment's limits (see WorkspaceLimits). */
export class RunWorkspace {
  private readonly prefix: string;

  constructor(
    private readonly store: WorkspaceStore,
    scope: RunScope,
    private readonly limits: WorkspaceLimits,
  ) {
    this.prefix = workspacePrefix(scope);
  }

  /**
   * Writes a text file, replacing any file of that path. Counted against the limits as the file's
   * new size in place of its old one, so writing the same path again (a step redone after a crash)
   * never uses up the file count.
   */
  async write(path: string, content: string, contentType?: string): Promise<FileOutcome<{ path: string; size: number }>> {
    const bad = pathProblem(path);
    if (bad) return refuse("invalid_path", `path ${JSON.stringify(path)} ${bad}`);
    const typeBad = contentType === undefined ? null : contentTypeProblem(contentType);
    if (typeBad) return refuse("invalid_content_type", `content_type ${typeBad}`);
    const bytes = new TextEncoder().encode(content);
    if (bytes.byteLength > this.limits.maxFileBytes) {
      return refuse(
        "file_too_large",
        `${path} would be ${bytes.byteLength} bytes; a file may be at most ${this.limits.maxFileBytes} bytes`,
      );
    }
    const key = this.prefix + path;
    const objects = await this.store.list(this.prefix);
    const existing = objects.find((o) => o.key === key);
    const files = objects.length + (existing ? 0 : 1);
    if (files > this.limits.maxFiles) {
      return refuse("too_many_files", `this run already has ${objects.length} files; a run may have at most ${this.limits.maxFiles}`);
    }
    const total = objects.reduce((sum, o) => sum + o.size, 0) - (existing?.size ?? 0) + bytes.byteLength;
    if (total > this.limits.maxRunBytes) {
      return refuse("workspace_full", `the run's files would take ${total} bytes; a run may hold at most ${this.limits.maxRunBytes} bytes`);
    }
    await this.store.put(key, bytes, contentType ?? defaultContentType(path));
    return { ok: true, value: { path, size: bytes.byteLength } };
  }

  /** Reads a file as text (UTF-8). */
  async read(path: string): Promise<FileOutcome<FileText>> {
    const bad = pathProblem(path);
    if (bad) return refuse("invalid_path", `path ${JSON.stringify(path)} ${bad}`);
    const obj = await this.store.get(this.prefix + path);
    if (!obj) return refuse("not_found", `no file ${path} in this run's workspace`);
    const content = await new Response(obj.body).text();
    return { ok: true, value: { content, content_type: obj.contentType, size: obj.size } };
  }

  /** The files whose path starts with `prefix` (default: all), in path order. */
  async list(prefix = ""): Promise<FileOutcome<{ files: FileInfo[] }>> {
    const bad = prefixProblem(prefix);
    if (bad) return refuse("invalid_path", `prefix ${JSON.stringify(prefix)} ${bad}`);
    const objects = await this.store.list(this.prefix + prefix);
    const files = objects.map((o) => ({ path: o.key.slice(this.prefix.length), size: o.size, updated_at: o.uploaded.toISOString() }));
    return { ok: true, value: { files } };
  }

  /** A file's bytes as a stream with its content type, for download; null when absent or misnamed. */
  async open(path: string): Promise<{ body: ReadableStream<Uint8Array>; contentType: string; size: number } | null> {
    if (pathProblem(path)) return null;
    const obj = await this.store.get(this.prefix + path);
    return obj ? { body: obj.body, contentType: obj.contentType, size: obj.size } : null;
  }

  /** How many files the workspace holds and their bytes. */
  async usage(): Promise<WorkspaceUsage> {
    const objects = await this.store.list(this.prefix);
    return { files: objects.length, bytes: objects.reduce((sum, o) => sum + o.size, 0) };
  }

  /**
   * Places the files a run is created with (already validated by the API) into its empty
   * workspace, a few at a time. If one write fails, the ones written are removed and the error
   * is rethrown, so a refused creation leaves nothing behind.
   */
  async place(files: Record<string, string>): Promise<void> {
    const entries = Object.entries(files);
    const written: string[] = [];
    try {
      for (let i = 0; i < entries.length; i += PLACE_CONCURRENCY) {
        await Promise.all(
          entries.slice(i, i + PLACE_CONCURRENCY).map(async ([path, content]) => {
            const key = this.prefix + path;
            await this.store.put(key, new TextEncoder().encode(content), defaultContentType(path));
            written.push(key);
          }),
        );
      }
    } catch (e) {
      await this.store.delete(written).catch((cleanup: unknown) =>
        log.error("workspace.cleanup_failed", "workspace cleanup after a failed placement failed", {
          prefix: this.prefix,
          error: errorText(cleanup),
        }),
      );
      throw e;
    }
  }

  /** Removes every file of the run. */
  async clear(): Promise<void> {
    const objects = await this.store.list(this.prefix);
    await this.store.delete(objects.map((o) => o.key));
  }
}

/** Writes in flight at once while placing a new run's files. */
const PLACE_CONCURRENCY = 8;
