// What the tenant object keeps in memory (the balance, the event log's last seq, the webhook
// subscription, its custom agents' names: so a run's creation and settlement read none of them
// again) follows its transactions: one that rolls back, at the top or as a savepoint inside
// another, leaves no trace in memory either.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { BUILTIN_AGENTS } from "../../src/agent/agents";
import type { Transactions } from "../../src/storage/transactions";
import type { DomainEvents } from "../../src/tenant/domain-events";
import type { LedgerStore } from "../../src/tenant/ledger-store";
import type { TenantStore } from "../../src/tenant/store";
import type { TenantObject } from "../../src/tenant/tenant-object";

/** The tenant object's parts this test drives directly. */
interface Parts {
  transactions: Transactions;
  store: TenantStore;
  ledger: LedgerStore;
  domain: DomainEvents;
}

const note = (n: number) => ({ type: "audit.recorded", run_id: null, agent: null, data: { n }, dedup: null });
const hook = { url: "https://hooks.example.com/in", events: ["run.*"], topics: [] };
/** A custom agent of the tenant's own, under a name no built-in has. */
const custom = { ...BUILTIN_AGENTS.general!, name: "rollback-custom" };

/** Writes a top-up, an event and a webhook and deletes the custom agent, as a transaction that fails after them would. */
function writeAll(p: Parts): void {
  p.store.deleteAgent(custom.name);
  p.ledger.topUp(50, `topup-${crypto.randomUUID()}`, null);
  p.domain.emit(note(99), Date.now());
  p.domain.webhooks.setWebhook(hook);
}

/** `writeAll` in a transaction that then throws; the error reaches the caller. */
function failedWrite(p: Parts): void {
  expect(() =>
    p.transactions.run(() => {
      writeAll(p);
      throw new Error("fails after writing");
    }),
  ).toThrow("fails after writing");
}

/** What the object shows, and what its storage holds, after `fn`. */
async function afterwards(fn: (p: Parts) => void) {
  const stub = env.TENANTS.get(env.TENANTS.idFromName(`rollback-${crypto.randomUUID()}`));
  return runInDurableObject(stub, async (obj: TenantObject, state) => {
    const p = obj as unknown as Parts;
    await obj.ensure("rollback", "Rollback", 100);
    // Read once, so each is in memory before the failed write.
    expect(obj.balance().available).toBe(100);
    obj.emitEvent(note(1));
    expect(p.domain.webhooks.webhook()).toBeNull();
    obj.saveAgent(custom);
    expect(obj.agent(custom.name)).toEqual(custom);
    fn(p);
    obj.emitEvent(note(2));
    const stored = state.storage.sql.exec("SELECT seq FROM domain_events ORDER BY seq").toArray();
    return {
      balance: obj.balance(),
      seqs: p.domain.events.list(0, 10).events.map((e) => e.seq),
      storedSeqs: stored.map((r) => r.seq),
      webhook: p.domain.webhooks.webhook(),
      agent: obj.agent(custom.name),
    };
  });
}

const untouched = {
  balance: { available: 100, reserved: 0, spent_total: 0 },
  seqs: [1, 2],
  storedSeqs: [1, 2],
  webhook: null,
  agent: custom,
};

describe("the tenant object's memory after a rolled-back transaction", () => {
  it("shows what storage holds: the balance, gapless event seqs, no webhook and the custom agent still there", async () => {
    expect(await afterwards(failedWrite)).toEqual(untouched);
  });

  it("forgets a savepoint's writes too when the transaction around it goes on and commits", async () => {
    expect(await afterwards((p) => p.transactions.run(() => failedWrite(p)))).toEqual(untouched);
  });

  it("keeps what a committed transaction wrote", async () => {
    const out = await afterwards((p) => p.transactions.run(() => writeAll(p)));
    expect(out.balance).toEqual({ available: 150, reserved: 0, spent_total: 0 });
    expect(out.seqs).toEqual([1, 2, 3]);
    expect(out.storedSeqs).toEqual([1, 2, 3]);
    expect(out.webhook).toEqual(hook);
    expect(out.agent).toBeNull();
  });
});
