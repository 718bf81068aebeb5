// npm run openapi: writes the API's OpenAPI document, as the Worker serves it at /openapi.json, to
// openapi.json at the repository root (the typed client is generated from that file).

import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { startWorker } from "../test/support/local-worker";

const root = resolve(import.meta.dirname, "..");
const worker = await startWorker(resolve(root, "wrangler.toml"), { ENVIRONMENT: "development", MODEL_PROVIDER: "scripted" });
try {
  const res = await fetch(`${worker.origin}/openapi.json`);
  if (!res.ok) throw new Error(`GET /openapi.json answered ${res.status}: ${await res.text()}`);
  const doc = (await res.json()) as { paths: Record<string, unknown> };
  writeFileSync(resolve(root, "openapi.json"), `${JSON.stringify(doc, null, 2)}\n`);
  console.log(`openapi.json: ${Object.keys(doc.paths).length} paths`);
} finally {
  await worker.stop();
}
