#!/usr/bin/env node
// The `edgecrew` command: runs the bundle that `npm install` builds (npm run build:cli).
import { existsSync } from "node:fs";

const bundle = new URL("../lib/edgecrew.mjs", import.meta.url);
if (!existsSync(bundle)) {
  process.stderr.write("edgecrew: the CLI is not built yet: run `npm run build:cli` in the edgecrew directory\n");
  process.exit(2);
}
await import(bundle.href);
