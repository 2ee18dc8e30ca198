/**
 * The backends other plugins register for resource kinds other than `mint`, through the `tokenExchange` service.
 * Wiring happens in register, like the kernel's registries, so every request of a server sees the same backends.
 */
import { tokenExchangeErrors } from './errors.js';
import type { ExchangeBackend, TokenExchangeService } from './types.js';

export class ExchangeBackends implements TokenExchangeService {
  readonly #byKind = new Map<string, ExchangeBackend>();
  #closed = false;

  registerBackend(kind: string, backend: ExchangeBackend): void {
    const who = `plugin '${backend?.plugin}'`;
    if (this.#closed) {
      throw tokenExchangeErrors.BACKEND_INVALID(`${who} registered a token-exchange backend for '${kind}' after register; call registerBackend in register`);
    }
    if (typeof kind !== 'string' || kind === '' || kind === 'mint') {
      throw tokenExchangeErrors.BACKEND_INVALID(`${who} registered a token-exchange backend for '${kind}'; the grant itself serves mint resources`);
    }
    const existing = this.#byKind.get(kind);
    if (existing) {
      throw tokenExchangeErrors.BACKEND_DUPLICATE(`token-exchange backend for resource kind '${kind}' registered by '${existing.plugin}' and '${backend.plugin}'`);
    }
    this.#byKind.set(kind, backend);
  }

  close(): void {
    this.#closed = true;
  }

  get(kind: string): ExchangeBackend | undefined {
    return this.#byKind.get(kind);
  }
}
