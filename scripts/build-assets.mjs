// Builds the static assets the Worker serves (wrangler.toml [assets] → dist/public): the dashboard
// (npm run build:ui, at /) and the API reference (npm run build:docs, at /docs), each when the
// project defines it. The directory always exists afterwards, because wrangler requires it.
import { execSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";

mkdirSync("dist/public", { recursive: true });
const scripts = JSON.parse(readFileSync("package.json", "utf8")).scripts ?? {};
for (const step of ["build:ui", "build:docs"]) {
  if (scripts[step]) execSync(`npm run --silent ${step}`, { stdio: "inherit" });
}
