// Pushes a run's state to its tenant object: status for the run index, charges for the ledger and,
// at a final state, the release (and the archive when one is configured). Calls are coalesced.

import { errorText, log } from "../ops/log";
import type { RunSync } from "../tenant/protocol";
import type { ApprovalStore } from "./approvals";
import { archiveFinalRun } from "./archive";
import type { Journal } from "./journal";
import { isFinal } from "./state";
import type { RunView } from "./view";

/** How long after a failed sync the run's alarm tries again (ms). */
const RETRY_SYNC_MS = 5000;

export interface TenantSyncDeps {
  env: Env;
  journal: Journal;
  approvals: ApprovalStore;
  view(): RunView;
  /** Writes a deferred journal page first: the tenant never hears of a state the run could forget. */
  persist(): void;
  /** Makes sure the run's alarm fires by `at`, to retry a failed sync. */
  retryBy(at: number): Promise<void>;
}

export class TenantSync {
  private syncing: Promise<void> | null = null;
  private resync = false;
  /** When the last sync was sent (epoch ms). */
  lastSync = Date.now();

  constructor(private readonly d: TenantSyncDeps) {}

  /** Sends the run's current state; a call made while one is in flight is folded into a second pass. Never throws. */
  sync(): Promise<void> {
    if (this.syncing) {
      this.resync = true;
      return this.syncing;
    }
    this.syncing = this.loop().finally(() => {
      this.syncing = null;
    });
    return this.syncing;
  }

  private async loop(): Promise<void> {
    const { env, journal } = this.d;
    do {
      this.resync = false;
      const run = journal.run()!;
      const { charges, through } = journal.unsettledCharges();
      const msg: RunSync = {
        id: run.id,
        version: run.version,
        status: run.status,
        spent: run.spent,
        attempt: run.attempts,
        charges,
        charges_from: through - charges.length + 1,
        finished_at: run.finished_at,
        not_before: run.not_before,
        usage: run.usage,
        ...(isFinal(run.status) ? { retries: run.retries, cost: journal.cost() } : {}),
        error: run.error,
        agent: run.agent.name,
        output: isFinal(run.status) ? run.output : null,
        approvals: this.d.approvals.all(run.id),
        resolution: run.resolution,
      };
      try {
        this.d.persist();
        const stub = env.TENANTS.get(env.TENANTS.idFromName(run.tenant_id));
        this.lastSync = Date.now();
        const done = await stub.syncRun(run.tenant_id, msg);
        journal.addCost({ tenant_requests: 1, tenant_rows: done.rows_written });
        if (isFinal(msg.status)) await archiveFinalRun(env, run.tenant_id, this.d.view());
        // Recorded in memory and written with the next transition, not on its own: a sync lost
        // to an eviction is simply sent again, and the tenant applies it idempotently.
        const synced = journal.run()!;
        journal.updateRun({
          synced_version: Math.max(synced.synced_version, msg.version),
          charges_synced: Math.max(synced.charges_synced, through),
        });
      } catch (e) {
        log.error("run.tenant_sync_failed", "tenant sync failed; the alarm will retry", {
          run_id: run.id,
          tenant: run.tenant_id,
          error: errorText(e),
        });
        await this.d.retryBy(Date.now() + RETRY_SYNC_MS);
        return;
      }
    } while (this.resync);
  }
}
