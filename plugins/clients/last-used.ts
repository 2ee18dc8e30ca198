/**
 * `last_used_at` bookkeeping. Recording a use only adds the id to a set; a timer writes the set in one UPDATE per
 * chunk, so a busy token endpoint costs one write per interval rather than one per request, and never waits on it.
 */
import type { RegisterApi } from 'authplane';

type Logger = RegisterApi['log'];

/** Inactivity hygiene needs day precision; one second still folds a burst of requests into one write. */
const FLUSH_INTERVAL_MS = 1000;
/** Stays under every SQLite build's bound-variable limit. */
const CHUNK = 500;

export class LastUsedRecorder {
  #pending = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly write: (clientIds: string[], at: number) => Promise<void>,
    private readonly log: Logger,
  ) {}

  record(clientId: string): void {
    this.#pending.add(clientId);
    if (!this.#timer) {
      this.#timer = setTimeout(() => void this.flush(), FLUSH_INTERVAL_MS);
      // A pending write must not keep a CLI process alive; stop() flushes what is left.
      this.#timer.unref();
    }
  }

  /** Writes everything recorded so far; failures are logged, never thrown into a request. */
  flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const ids = [...this.#pending];
    this.#pending.clear();
    const at = Date.now();
    this.#flushing = this.#flushing.then(async () => {
      for (let i = 0; i < ids.length; i += CHUNK) {
        try {
          await this.write(ids.slice(i, i + CHUNK), at);
        } catch (err) {
          this.log.error({ err, clients: ids.length }, 'recording client last use failed');
        }
      }
    });
    return this.#flushing;
  }
}
