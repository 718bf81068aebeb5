// The tenant signing secret as third-party receivers use it: the Standard Webhooks library
// verifies real webhook deliveries and real HTTP tool calls, for new and for older secrets.

import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { createRun, newTenant, waitForRun } from "../helpers/api";
import { echoUrl, type ReceivedRequest, received, trustSecret } from "../helpers/echo";
import { eventually, lookupAgent, scope, subscribe } from "../helpers/webhooks";

/** Verifies a recorded request with the Standard Webhooks library; throws as the library does. */
function verifyWithLibrary(secret: string, r: ReceivedRequest): unknown {
  return new Webhook(secret).verify(r.body, r.headers);
}

/** Runs a lookup (one HTTP tool call) with a run webhook too; waits for the tool call and both deliveries. */
async function runWithToolAndWebhooks(key: string, s: string): Promise<{ tool: ReceivedRequest[]; hooks: ReceivedRequest[] }> {
  await lookupAgent(key, s);
  const run = await createRun(
    { agent: "lookups", input: '- look up !tool lookup_order {"order_id":"42"}', webhook_url: `${echoUrl()}/hook/${s}/own` },
    key,
  );
  expect((await waitForRun(run.id, { key })).status).toBe("succeeded");
  const all = await eventually(
    () => received(s),
    (rs) => rs.filter((r) => r.path.includes("/webhook") || r.path.includes("/own")).length >= 2,
  );
  return {
    tool: all.filter((r) => r.path.includes("/lookup_order")),
    hooks: all.filter((r) => r.path.includes("/webhook") || r.path.includes("/own")),
  };
}

describe("signing secrets", () => {
  it("webhook secrets verify with the standardwebhooks library", async () => {
    const t = await newTenant(1000);
    const s = scope();
    const { secret } = await subscribe(t.key, s, ["run.succeeded"]);
    // Standard Webhooks: whsec_ and the standard, padded base64 of the key bytes (32 here).
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);

    const { tool, hooks } = await runWithToolAndWebhooks(t.key, s);
    expect(tool).toHaveLength(1);
    expect(verifyWithLibrary(secret, tool[0]!)).toEqual({ order_id: "42" });
    expect(hooks.map((h) => h.path.split("?")[0]).sort()).toEqual([`/hook/${s}/own`, `/hook/${s}/webhook`]);
    for (const h of hooks) expect(verifyWithLibrary(secret, h)).toMatchObject({ type: "run.succeeded" });
    // The echo server's own node:crypto check agrees.
    expect([...tool, ...hooks].every((r) => r.verified)).toBe(true);
  });

  it("a URL-safe secret stored before keeps signing with the same key, and verifies once written in standard base64", async () => {
    const t = await newTenant(1000);
    const s = scope();
    await subscribe(t.key, s, ["run.succeeded"]);
    // Key bytes whose base64 has both + and /, stored the way earlier versions wrote secrets.
    const key = Uint8Array.from({ length: 32 }, (_, i) => (i % 3 === 0 ? 0xfb : i % 3 === 1 ? 0xef : 0xff));
    const standard = `whsec_${btoa(String.fromCharCode(...key))}`;
    const legacy = standard.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
    expect(legacy).toMatch(/[-_]/);
    expect(() => new Webhook(legacy)).toThrow();
    const tenant = env.TENANTS.get(env.TENANTS.idFromName(t.id));
    await runInDurableObject(tenant, (_obj, state) => {
      state.storage.sql.exec("UPDATE settings SET value = ? WHERE name = 'signing_secret'", legacy);
    });
    // A receiver still holding the old string (converting -_ by hand) keeps verifying.
    await trustSecret(s, legacy);

    const { tool, hooks } = await runWithToolAndWebhooks(t.key, s);
    expect(tool).toHaveLength(1);
    expect(hooks).toHaveLength(2);
    for (const r of [...tool, ...hooks]) {
      expect(r.verified).toBe(true);
      expect(() => verifyWithLibrary(standard, r)).not.toThrow();
    }
  });
});
