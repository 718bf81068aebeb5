// GET /docs on the real Worker (static assets as wrangler serves them): an HTML page whose every
// script and stylesheet comes from the Worker's own origin and loads, rendering /openapi.json.
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalWorker, startEdgecrew } from "../support/local-worker";

const root = resolve(import.meta.dirname, "../..");
let worker: LocalWorker;

beforeAll(async () => {
  if (!existsSync(resolve(root, "dist/public/docs/index.html"))) throw new Error("dist/public/docs is missing: run npm run build:assets");
  worker = await startEdgecrew();
}, 120_000);

afterAll(async () => {
  await worker?.stop();
});

/** The `src` of every script and `href` of every stylesheet or icon in `html`. */
function assetUrls(html: string): string[] {
  const scripts = [...html.matchAll(/<script\b[^>]*\bsrc="([^"]+)"/g)].map((m) => m[1]!);
  const links = [...html.matchAll(/<link\b[^>]*\bhref="([^"]+)"/g)].map((m) => m[1]!);
  return [...scripts, ...links];
}

describe("GET /docs", () => {
  it("serves an HTML reference whose scripts and styles all come from this origin and load", async () => {
    const res = await fetch(`${worker.origin}/docs`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).toContain("API reference");
    // No inline script: every script is a file the Worker serves.
    expect([...html.matchAll(/<script\b[^>]*>/g)].every((m) => /\bsrc="/.test(m[0]))).toBe(true);
    const urls = assetUrls(html);
    expect(urls.length).toBeGreaterThanOrEqual(3);
    for (const url of urls) {
      const absolute = new URL(url, res.url);
      expect(absolute.origin, url).toBe(worker.origin);
      const asset = await fetch(absolute);
      expect(asset.status, url).toBe(200);
      const type = asset.headers.get("content-type") ?? "";
      if (url.endsWith(".js")) expect(type, url).toMatch(/javascript/);
      if (url.endsWith(".css")) expect(type, url).toMatch(/^text\/css/);
      // A stylesheet pulls nothing from another origin (fonts, imports): its url()s are data: URIs.
      if (url.endsWith(".css")) {
        const css = await asset.text();
        expect(
          [...css.matchAll(/url\(\s*["']?([^"')]+)/g)].filter((m) => !m[1]!.startsWith("data:")),
          url,
        ).toEqual([]);
        expect(css, url).not.toMatch(/@import/);
      } else {
        await asset.arrayBuffer();
      }
    }
  }, 60_000);

  it("points the reference at the Worker's own /openapi.json, which it serves without credentials", async () => {
    const init = await (await fetch(`${worker.origin}/docs/init.js`)).text();
    expect(init).toContain('url: "/openapi.json"');
    expect(init).toContain("validatorUrl: null");
    const doc = await fetch(`${worker.origin}/openapi.json`);
    expect(doc.status).toBe(200);
    expect(((await doc.json()) as { openapi: string }).openapi).toBe("3.1.0");
  });
});
