// The dashboard as built (npm run build:assets → dist/public): its JavaScript stays under 200 KB
// gzipped, and its page loads nothing from another origin.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";

const PUBLIC = resolve(import.meta.dirname, "../../dist/public");
const LIMIT = 200 * 1024;

function builtIndex(): string {
  try {
    return readFileSync(join(PUBLIC, "index.html"), "utf8");
  } catch (e) {
    throw new Error(`the dashboard is not built (${(e as Error).message}): run npm run build:assets first`);
  }
}

/** Every .js file under dist/public/assets, the dashboard's bundle. */
function scripts(): string[] {
  const dir = join(PUBLIC, "assets");
  return readdirSync(dir)
    .filter((f) => f.endsWith(".js"))
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).isFile());
}

describe("the built dashboard", () => {
  it("ships less than 200 KB of JavaScript, gzipped", () => {
    builtIndex();
    const files = scripts();
    expect(files.length).toBeGreaterThan(0);
    const gz = files.reduce((sum, f) => sum + gzipSync(readFileSync(f), { level: 9 }).length, 0);
    console.log(`dashboard JavaScript: ${files.length} file(s), ${(gz / 1024).toFixed(1)} KB gzipped`);
    expect(gz).toBeLessThan(LIMIT);
  });

  it("references its script and styles on its own origin only", () => {
    const html = builtIndex();
    const refs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(refs.some((r) => r.endsWith(".js"))).toBe(true);
    for (const ref of refs) expect(ref, ref).toMatch(/^(\/(?!\/)|data:)/);
  });
});
