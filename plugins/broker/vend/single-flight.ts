/**
 * One call in flight per key: callers arriving while it runs share its promise. Concurrent vends for the same
 * user and provider then refresh the upstream grant once — a second refresh with the same rotating refresh token
 * would be refused upstream (RFC 6749 §10.4, OAuth 2.1 §4.3.1: reuse of a rotated refresh token), and may revoke
 * the grant altogether. Per server: replicas meet at the grant's version instead (GrantStore.saveRefreshed).
 */
export class SingleFlight<T> {
  readonly #inFlight = new Map<string, Promise<T>>();

  run(key: string, call: () => Promise<T>): Promise<T> {
    const running = this.#inFlight.get(key);
    if (running) return running;
    const started = call().finally(() => this.#inFlight.delete(key));
    this.#inFlight.set(key, started);
    return started;
  }
}
