// Bundles the CLI (lib/edgecrew.mjs, run by bin/edgecrew.mjs) and the client (lib/client.js, the
// package's `edgecrew/client`) with esbuild, for Node 20+, Deno and browsers. Runs on `npm install`.
import { readFileSync } from "node:fs";
import { build } from "esbuild";

const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
const common = { bundle: true, format: "esm", legalComments: "none", logLevel: "warning" };

await Promise.all([
  build({
    ...common,
    entryPoints: ["src/cli/main.ts"],
    outfile: "lib/edgecrew.mjs",
    platform: "node",
    target: "node20",
    define: { EDGECREW_VERSION: JSON.stringify(version) },
    // commander is CommonJS: its require() calls need a require in the ES module bundle.
    banner: { js: 'import { createRequire } from "node:module"; const require = createRequire(import.meta.url);' },
  }),
  build({ ...common, entryPoints: ["src/client/index.ts"], outfile: "lib/client.js", platform: "neutral", target: "es2022" }),
]);
