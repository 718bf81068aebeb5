import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { r2WorkspaceStore } from "../../../src/adapters/workspace/r2";
import { FILE_LIST, FILE_READ, FILE_WRITE } from "../../../src/agent/tools/file-tools";
import type { ToolResult } from "../../../src/agent/tools/tool";
import { schemaErrors } from "../../../src/agent/tools/validate";
import { DEFAULT_WORKSPACE_LIMITS } from "../../../src/workspace/limits";
import { RunWorkspace } from "../../../src/workspace/run-workspace";
import { memoryServices, TOOLS_TENANT, toolContext } from "../../helpers/tools";

/** A tool context for a run of its own (ids are unique per test, so workspaces never overlap). */
function runContext() {
  const ctx = toolContext({}, memoryServices());
  return { ...ctx, runId: `run_${crypto.randomUUID().replace(/-/g, "").slice(0, 21)}` };
}

const error = (res: ToolResult) => (res.ok ? "" : res.error);

describe("file_write / file_read / file_list", () => {
  it("writes a file, reads it back with its content type and lists it", async () => {
    const ctx = runContext();
    expect(await FILE_WRITE.run({ path: "reports/q1.csv", content: "region,total\nnorth,12\n" }, ctx)).toEqual({
      ok: true,
      value: { path: "reports/q1.csv", size: 22 },
    });
    expect(await FILE_READ.run({ path: "reports/q1.csv" }, ctx)).toEqual({
      ok: true,
      value: { content: "region,total\nnorth,12\n", content_type: "text/csv; charset=utf-8", size: 22 },
    });
    await FILE_WRITE.run({ path: "notes.md", content: "# Notes", content_type: "text/markdown" }, ctx);
    const listed = await FILE_LIST.run({}, ctx);
    expect(listed.ok).toBe(true);
    const files = (listed as { value: { files: { path: string; size: number; updated_at: string }[] } }).value.files;
    expect(files.map((f) => [f.path, f.size])).toEqual([
      ["notes.md", 7],
      ["reports/q1.csv", 22],
    ]);
    expect(Number.isNaN(Date.parse(files[0]!.updated_at))).toBe(false);
    expect(await FILE_LIST.run({ prefix: "reports/" }, ctx)).toMatchObject({ ok: true, value: { files: [{ path: "reports/q1.csv" }] } });
    expect(await FILE_READ.run({ path: "notes.md" }, ctx)).toMatchObject({ value: { content_type: "text/markdown" } });
  });

  it("counts sizes in UTF-8 bytes", async () => {
    const res = await FILE_WRITE.run({ path: "greek.txt", content: "αβγ" }, runContext());
    expect(res).toEqual({ ok: true, value: { path: "greek.txt", size: 6 } });
  });

  it("answers a missing file with a tool error", async () => {
    const res = await FILE_READ.run({ path: "nowhere.txt" }, runContext());
    expect(res.ok).toBe(false);
    expect(error(res)).toContain("no file nowhere.txt");
  });

  it("refuses '..', absolute and malformed paths as tool errors and writes nothing", async () => {
    const ctx = runContext();
    for (const path of [
      "../other/secret.txt",
      "a/../../b.txt",
      "/etc/passwd",
      "a//b.txt",
      "./a.txt",
      "dir/",
      "spaces are bad.txt",
      "é.txt",
    ]) {
      const res = await FILE_WRITE.run({ path, content: "x" }, ctx);
      expect(res.ok, path).toBe(false);
      expect(error(res), path).toContain("path");
      expect((await FILE_READ.run({ path }, ctx)).ok, path).toBe(false);
    }
    expect(error(await FILE_LIST.run({ prefix: "../" }, ctx))).toContain("'..'");
    expect(await FILE_LIST.run({}, ctx)).toEqual({ ok: true, value: { files: [] } });
  });

  it("refuses a path over 200 characters and a bad content type", async () => {
    const ctx = runContext();
    expect(schemaErrors(FILE_WRITE.input_schema, { path: "a".repeat(201), content: "x" })).not.toBeNull();
    expect((await FILE_WRITE.run({ path: "a".repeat(201), content: "x" }, ctx)).ok).toBe(false);
    expect((await FILE_WRITE.run({ path: "a".repeat(200), content: "x" }, ctx)).ok).toBe(true);
    const badType = await FILE_WRITE.run({ path: "x.txt", content: "x", content_type: "text/html\r\nx-evil: 1" }, ctx);
    expect(error(badType)).toContain("content_type");
  });

  it("keeps each run's files apart, and each tenant's", async () => {
    const a = runContext();
    const b = runContext();
    await FILE_WRITE.run({ path: "secret.txt", content: "run a only" }, a);
    expect((await FILE_READ.run({ path: "secret.txt" }, b)).ok).toBe(false);
    expect(await FILE_LIST.run({}, b)).toEqual({ ok: true, value: { files: [] } });
    // The same run id under another tenant is another workspace.
    const other = new RunWorkspace(r2WorkspaceStore(env.WORKSPACE), { tenantId: "t-other", runId: a.runId }, DEFAULT_WORKSPACE_LIMITS);
    expect((await other.read("secret.txt")).ok).toBe(false);
    expect(a.tenantId).toBe(TOOLS_TENANT);
  });
});

describe("workspace limits", () => {
  const small = { maxFileBytes: 10, maxRunBytes: 25, maxFiles: 3 };
  const workspace = () =>
    new RunWorkspace(r2WorkspaceStore(env.WORKSPACE), { tenantId: TOOLS_TENANT, runId: `run_${crypto.randomUUID().slice(0, 8)}` }, small);

  it("refuses a file over the file limit and keeps the old one", async () => {
    const ws = workspace();
    await ws.write("a.txt", "old");
    const res = await ws.write("a.txt", "x".repeat(11));
    expect(res).toMatchObject({ ok: false, error: { code: "file_too_large" } });
    expect(await ws.read("a.txt")).toMatchObject({ ok: true, value: { content: "old" } });
  });

  it("refuses a new file past the file count, but overwriting an existing path still works", async () => {
    const ws = workspace();
    for (const p of ["1.txt", "2.txt", "3.txt"]) expect((await ws.write(p, "x")).ok).toBe(true);
    expect(await ws.write("4.txt", "x")).toMatchObject({ ok: false, error: { code: "too_many_files" } });
    // A step redone after a crash writes the same paths again: same files, same count.
    expect(await ws.write("3.txt", "redone")).toEqual({ ok: true, value: { path: "3.txt", size: 6 } });
    expect(await ws.usage()).toEqual({ files: 3, bytes: 8 });
  });

  it("refuses a write that would pass the run's byte total, counting a replaced file's new size only", async () => {
    const ws = workspace();
    expect((await ws.write("a.txt", "x".repeat(10))).ok).toBe(true);
    expect((await ws.write("b.txt", "x".repeat(10))).ok).toBe(true);
    expect(await ws.write("c.txt", "x".repeat(6))).toMatchObject({ ok: false, error: { code: "workspace_full" } });
    expect((await ws.write("b.txt", "x".repeat(5))).ok).toBe(true);
    expect((await ws.write("c.txt", "x".repeat(10))).ok).toBe(true);
    expect(await ws.usage()).toEqual({ files: 3, bytes: 25 });
  });

  it("a refused write through the tool is an error result the model sees", async () => {
    const ctx = runContext();
    const res = await FILE_WRITE.run({ path: "big.txt", content: "x".repeat(DEFAULT_WORKSPACE_LIMITS.maxFileBytes + 1) }, ctx);
    expect(res.ok).toBe(false);
    expect(error(res)).toContain(`at most ${DEFAULT_WORKSPACE_LIMITS.maxFileBytes} bytes`);
    expect(await FILE_LIST.run({}, ctx)).toEqual({ ok: true, value: { files: [] } });
  });
});
