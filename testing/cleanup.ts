/**
 * Cleanup without a test framework: the kit takes anything with `after(fn)` (node:test's `t`, or a suite's hook
 * registrar) and, without one, hands the caller a `stop()` that runs the same steps.
 */
export interface Cleanup {
  after(fn: () => unknown): void;
}

/** Steps run in the order they were added: a server stops before its database is dropped and its folder removed. */
export class CleanupSteps implements Cleanup {
  readonly #steps: (() => unknown)[] = [];
  #ran = false;

  after(fn: () => unknown): void {
    this.#steps.push(fn);
  }

  /** Runs every step once, all of them even when one fails; the first failure is thrown afterwards. */
  async run(): Promise<void> {
    if (this.#ran) return;
    this.#ran = true;
    let failure: unknown;
    for (const step of this.#steps) {
      try {
        await step();
      } catch (err) {
        failure ??= err;
      }
    }
    if (failure !== undefined) throw failure;
  }
}
