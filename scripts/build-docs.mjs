// npm run build:docs: the interactive API reference at /docs (dist/public/docs): Swagger UI's
// standalone bundle and stylesheet copied from node_modules, with a page that renders /openapi.json.
import { copyFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";

const root = resolve(import.meta.dirname, "..");
const out = join(root, "dist/public/docs");
const ui = dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));

mkdirSync(out, { recursive: true });
for (const file of ["swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png", "LICENSE"])
  copyFileSync(join(ui, file), join(out, file));
for (const file of ["index.html", "init.js"]) copyFileSync(join(root, "scripts/docs-page", file), join(out, file));
console.log(`build:docs: API reference written to ${out}`);
