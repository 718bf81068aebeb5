// A run's workspace through the API: files given at creation, GET /v1/runs/:id/files and the
// download route, validation, refused creations that must leave nothing behind, tenant isolation,
// and a step redone after a crash writing the same files again.

import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { workspacePrefix } from "../../src/workspace/run-workspace";
import { api, createRun, json, newTenant, waitForRun } from "../helpers/api";

/** Every workspace key a tenant has in the bucket. */
async function keysOf(tenantId: string): Promise<string[]> {
  const listed = await env.WORKSPACE.list({ prefix: `runs/${tenantId}/` });
  return listed.objects.map((o) => o.key).sort();
}

const post = (body: Record<string, unknown>, key?: string, headers?: Record<string, string>) =>
  api("/v1/runs", { method: "POST", json: body, key, headers });

describe("run files", () => {
  it("holds the files given at creation before the first step, lists them and serves each with its content type", async () => {
    const created = await createRun({
      agent: "general",
      input: '- read the brief !tool file_read {"path":"docs/brief.md"}',
      files: { "docs/brief.md": "# Brief\nShip it.", "data.csv": "a,b\n1,2\n" },
    });
    const run = await waitForRun(created.id);
    expect(run.status).toBe("succeeded");
    // The first (and only) step read the file: it was there before the step started.
    expect(run.output.output.result).toEqual({ content: "# Brief\nShip it.", content_type: "text/markdown; charset=utf-8", size: 16 });
    expect(run.workspace).toEqual({ files: 2, bytes: 24 });

    const listing = await json(api(`/v1/runs/${created.id}/files`));
    expect(listing.files.map((f: any) => [f.path, f.size])).toEqual([
      ["data.csv", 8],
      ["docs/brief.md", 16],
    ]);
    expect(Number.isNaN(Date.parse(listing.files[0].updated_at))).toBe(false);

    const file = await api(`/v1/runs/${created.id}/files/data.csv`);
    expect(file.status).toBe(200);
    expect(file.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(file.headers.get("content-security-policy")).toBe("sandbox");
    expect(file.headers.get("x-content-type-options")).toBe("nosniff");
    expect(await file.text()).toBe("a,b\n1,2\n");
    expect(await (await api(`/v1/runs/${created.id}/files/docs/brief.md`)).text()).toBe("# Brief\nShip it.");
  });

  it("a run without files reports an empty workspace", async () => {
    const created = await createRun({ agent: "general", input: "nothing to file" });
    const run = await waitForRun(created.id);
    expect(run.workspace).toEqual({ files: 0, bytes: 0 });
    expect(await json(api(`/v1/runs/${created.id}/files`))).toEqual({ files: [] });
  });

  it("GET /v1/runs/:id lists the bucket only for a run whose workspace may hold files", async () => {
    const t = await newTenant();
    const quiet = await waitForRun((await createRun({ agent: "general", input: "nothing to file" }, t.key)).id, { key: t.key });
    const wrote = await waitForRun(
      (await createRun({ agent: "general", input: '- save !tool file_write {"path":"a.txt","content":"abc"}' }, t.key)).id,
      { key: t.key },
    );
    // An object put behind both runs' backs: only the run that called a file-writing tool lists
    // its workspace; the other answers from its journal (no files at creation, no such tool) with no R2 request.
    for (const id of [quiet.id, wrote.id]) await env.WORKSPACE.put(`${workspacePrefix({ tenantId: t.id, runId: id })}extra.txt`, "xy");
    expect((await json(api(`/v1/runs/${quiet.id}`, { key: t.key }))).workspace).toEqual({ files: 0, bytes: 0 });
    expect((await json(api(`/v1/runs/${wrote.id}`, { key: t.key }))).workspace).toEqual({ files: 2, bytes: 5 });
  });

  it("a missing file is 404 in the error envelope", async () => {
    const created = await createRun({ agent: "general", input: "x", files: { "a.txt": "a" } });
    const res = await api(`/v1/runs/${created.id}/files/b.txt`);
    expect(res.status).toBe(404);
    expect((await json(res)).error.code).toBe("not_found");
  });

  it("refuses bad file paths and contents with 400 naming the field and path, and creates nothing", async () => {
    const t = await newTenant(1000);
    const cases: [unknown, string | undefined][] = [
      [{ "../escape.txt": "x" }, "../escape.txt"],
      [{ "/etc/passwd": "x" }, "/etc/passwd"],
      [{ "a b.txt": "x" }, "a b.txt"],
      [{ [`${"a".repeat(201)}`]: "x" }, "a".repeat(201)],
      [{ "ok.txt": 42 }, "ok.txt"],
      [["not", "an", "object"], undefined],
    ];
    for (const [files, path] of cases) {
      const res = await post({ agent: "general", input: "x", files }, t.key);
      expect(res.status, JSON.stringify(files).slice(0, 40)).toBe(400);
      const body = await json(res);
      expect(body.error.code).toBe("invalid_request");
      expect(body.error.details.field).toBe("files");
      if (path) expect(body.error.details.path).toBe(path);
    }
    expect(await keysOf(t.id)).toEqual([]);
    expect((await json(api("/v1/runs", { key: t.key }))).runs).toEqual([]);
  });

  it("counts files in the 128 KB body limit", async () => {
    const t = await newTenant(1000);
    const res = await post({ agent: "general", input: "x", files: { "big.txt": "x".repeat(130 * 1024) } }, t.key);
    expect(res.status).toBe(413);
    expect(await keysOf(t.id)).toEqual([]);
  });

  it("a creation refused for credits (402) leaves no files", async () => {
    const t = await newTenant(5);
    const res = await post({ agent: "general", input: "x", max_credits: 50, files: { "a.txt": "a" } }, t.key);
    expect(res.status).toBe(402);
    expect(await keysOf(t.id)).toEqual([]);
  });

  it("an idempotent replay writes nothing again, and a reused key with other files (409) leaves no files", async () => {
    const t = await newTenant(1000);
    const body = { agent: "general", input: "once", files: { "a.txt": "first" } };
    const first = await post(body, t.key, { "idempotency-key": "files-1" });
    expect(first.status).toBe(202);
    const id = (await json(first)).id;
    const replay = await post(body, t.key, { "idempotency-key": "files-1" });
    expect(replay.status).toBe(200);
    expect((await json(replay)).id).toBe(id);
    const conflict = await post({ ...body, files: { "b.txt": "second" } }, t.key, { "idempotency-key": "files-1" });
    expect(conflict.status).toBe(409);
    expect(await keysOf(t.id)).toEqual([`runs/${t.id}/${id}/a.txt`]);
    expect(await (await api(`/v1/runs/${id}/files/a.txt`, { key: t.key })).text()).toBe("first");
  });

  it("another tenant's run and files are 404", async () => {
    const owner = await newTenant(1000);
    const stranger = await newTenant(1000);
    const created = await createRun({ agent: "general", input: "x", files: { "secret.txt": "mine" } }, owner.key);
    for (const path of [`/v1/runs/${created.id}/files`, `/v1/runs/${created.id}/files/secret.txt`, `/v1/runs/${created.id}`]) {
      const res = await api(path, { key: stranger.key });
      expect(res.status, path).toBe(404);
      expect((await json(res)).error.code).toBe("not_found");
    }
    expect((await api(`/v1/runs/${created.id}/files/secret.txt`, { key: owner.key })).status).toBe(200);
    expect((await api("/v1/runs/run_00000000000000000000x/files", { key: owner.key })).status).toBe(404);
    expect((await api("/v1/runs/not-a-run/files", { key: owner.key })).status).toBe(404);
    expect((await api(`/v1/runs/${created.id}/files`, { key: null })).status).toBe(401);
  });

  it("a step redone after a crash writes the same file again: one file, the same content", async () => {
    const created = await createRun({
      agent: "general",
      input: '- save !tool file_write {"path":"out/result.json","content":"{\\"n\\":1}"} !crash',
    });
    const run = await waitForRun(created.id);
    expect(run.status).toBe("succeeded");
    expect(run.steps[0].attempts).toBeGreaterThan(1);
    expect(run.workspace).toEqual({ files: 1, bytes: 7 });
    const file = await api(`/v1/runs/${created.id}/files/out/result.json`);
    expect(file.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(await file.text()).toBe('{"n":1}');
  });

  it("a file tool breaking a rule is a tool error the model sees; the step completes", async () => {
    const created = await createRun({ agent: "general", input: '- escape !tool file_write {"path":"../../other/x.txt","content":"x"}' });
    const run = await waitForRun(created.id);
    expect(run.status).toBe("succeeded");
    expect(run.steps[0].status).toBe("completed");
    expect(run.output.output.result).toContain("'..' segment");
    expect(run.workspace).toEqual({ files: 0, bytes: 0 });
  });

  it("an agent's approval policy can gate file_write: nothing is written until a person approves", async () => {
    const t = await newTenant(1000);
    const put = await api("/v1/agents/careful-writer", {
      method: "PUT",
      key: t.key,
      json: { system_prompt: "You write files only with approval.", tools: ["file_write"], approval: { tools: ["file_write"] } },
    });
    expect([200, 201]).toContain(put.status);
    const created = await createRun(
      { agent: "careful-writer", input: '- save !tool file_write {"path":"a.txt","content":"approved"}' },
      t.key,
    );
    const waiting = await waitForRun(created.id, { key: t.key, until: (r) => r.status === "awaiting_approval" });
    expect(waiting.approvals[0]).toMatchObject({ tool: "file_write", status: "pending" });
    expect(waiting.workspace).toEqual({ files: 0, bytes: 0 });
    const decided = await api(`/v1/approvals/${waiting.approvals[0].id}`, { method: "POST", key: t.key, json: { decision: "approve" } });
    expect(decided.status).toBe(200);
    const done = await waitForRun(created.id, { key: t.key });
    expect(done.status).toBe("succeeded");
    expect(await (await api(`/v1/runs/${created.id}/files/a.txt`, { key: t.key })).text()).toBe("approved");
  });
});
