/**
 * A reactive controller for one admin API call at a time: starting a new run aborts the one in flight, and a
 * response that arrives after a newer run started is dropped, so a slow old answer never overwrites a new one.
 * The host re-renders on every state change.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';

export type TaskStatus = 'idle' | 'loading' | 'ok' | 'error';

export class ApiTask<T> implements ReactiveController {
  status: TaskStatus = 'idle';
  value: T | undefined;
  error: Error | undefined;
  #controller: AbortController | undefined;
  #run = 0;

  constructor(private readonly host: ReactiveControllerHost) {
    host.addController(this);
  }

  /** Runs `work` (aborting the previous run); resolves to its value, or undefined when it failed or was superseded. */
  async run(work: (signal: AbortSignal) => Promise<T>): Promise<T | undefined> {
    this.#controller?.abort();
    const controller = new AbortController();
    this.#controller = controller;
    const run = ++this.#run;
    this.status = 'loading';
    this.error = undefined;
    this.host.requestUpdate();
    try {
      const value = await work(controller.signal);
      if (run !== this.#run) return undefined;
      this.value = value;
      this.status = 'ok';
      return value;
    } catch (error) {
      if (run !== this.#run || controller.signal.aborted) return undefined;
      this.error = error as Error;
      this.status = 'error';
      return undefined;
    } finally {
      if (run === this.#run) {
        this.#controller = undefined;
        this.host.requestUpdate();
      }
    }
  }

  /** Aborts the run in flight; its answer, if any, is dropped. */
  abort(): void {
    this.#controller?.abort();
    this.#run++;
    if (this.status === 'loading') this.status = this.value === undefined ? 'idle' : 'ok';
  }

  /** Aborts the run in flight and forgets its error: a form opened afresh shows no problem from its last use. */
  reset(): void {
    this.abort();
    this.error = undefined;
  }

  hostDisconnected(): void {
    this.abort();
  }
}
