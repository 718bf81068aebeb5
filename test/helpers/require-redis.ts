// Setup file of the workerd projects whose Worker keeps state in Upstash Redis: when global-setup
// found no Redis, every test is skipped with the reason and the command that starts one.
import { env } from "cloudflare:workers";
import { beforeEach } from "vitest";
import { redisSkipNote } from "../support/redis-requirement";

const note = redisSkipNote(JSON.parse((env as unknown as { SUPPORT_URLS: string }).SUPPORT_URLS) as Record<string, string>);

beforeEach((ctx) => {
  if (note) ctx.skip(note);
});
