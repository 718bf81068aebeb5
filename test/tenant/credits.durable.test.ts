// The CreditLedger contract against the embedded adapter: each tenant's Durable Object, inside workerd.
import { env } from "cloudflare:workers";
import { durableLedger } from "../../src/adapters/ledger/durable";
import { creditLedgerContract } from "../contracts/credit-ledger.contract";

creditLedgerContract("durable", async () => ({
  ledger: durableLedger(env.TENANTS),
  tenantId: `ledger-${crypto.randomUUID()}`,
}));
