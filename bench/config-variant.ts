// What-if runs: a temporary copy of the project's wrangler.toml with another `max_batch_timeout`
// on the run lanes, so the benchmark can show how much of a run's latency is queue batching.

import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";

/** A config file to start the Worker from, and how to remove it afterwards. */
export interface ConfigVariant {
  path: string;
  dispose(): Promise<void>;
}

/**
 * Copies `config` to a temporary directory with `main` made absolute and every run lane's
 * (`edgecrew-runs-*`) `max_batch_timeout` set to `seconds`. Other consumers keep theirs.
 */
export async function withLaneBatchTimeout(config: string, seconds: number): Promise<ConfigVariant> {
  const text = await readFile(config, "utf8");
  const main = /^main\s*=\s*"([^"]+)"/m.exec(text)?.[1];
  if (!main) throw new Error(`${config} has no main entry`);
  let lanes = 0;
  const blocks = text.split(/(?=^\[\[)/m).map((block) => {
    if (!/^\[\[queues\.consumers\]\]/.test(block) || !/^queue\s*=\s*"edgecrew-runs-/m.test(block)) return block;
    lanes++;
    return block.replace(/^max_batch_timeout\s*=.*$/m, `max_batch_timeout = ${seconds}`);
  });
  if (lanes === 0) throw new Error(`${config} has no run-lane consumers to change`);
  const dir = await mkdtemp(join(tmpdir(), "edgecrew-bench-"));
  const path = join(dir, "wrangler.toml");
  const body = blocks.join("").replace(/^main\s*=.*$/m, `main = ${JSON.stringify(resolve(dirname(config), main))}`);
  await writeFile(path, body);
  return { path, dispose: () => rm(dir, { recursive: true, force: true }) };
}
