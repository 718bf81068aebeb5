// A Durable Object's storage transactions, for objects that keep some of what they store in memory
// too: a transaction that rolls back also makes every store forget what it kept, so the next read
// comes from storage again and a rolled-back write is never seen.

export class Transactions {
  private readonly forgetters: (() => void)[] = [];

  constructor(private readonly storage: Pick<DurableObjectStorage, "transactionSync">) {}

  /** `forget` is called whenever one of this object's transactions rolls back. */
  onRollback(forget: () => void): void {
    this.forgetters.push(forget);
  }

  /**
   * Runs `fn` in one storage transaction (`transactionSync`): if it throws, nothing it wrote is
   * kept, in storage or in memory, and the error is rethrown. Nested calls are savepoints.
   */
  run<T>(fn: () => T): T {
    try {
      return this.storage.transactionSync(fn);
    } catch (e) {
      for (const forget of this.forgetters) forget();
      throw e;
    }
  }
}
