import { BootError } from '../errors.js';

/**
 * A one-owner-per-name table (grant types, key stores, CLI commands…). A second registration of a name stops boot
 * naming both plugins; nothing can be added after the register phase.
 */
export class Registry<T> {
  readonly #entries = new Map<string, { owner: string; value: T }>();
  #frozen = false;
  constructor(readonly kind: string) {}

  register(name: string, value: T, owner = 'kernel'): void {
    if (this.#frozen) {
      throw new BootError('AP_ERR_REGISTRY_FROZEN', `${this.kind} '${name}' registered by '${owner}' after boot`);
    }
    const existing = this.#entries.get(name);
    if (existing) {
      throw new BootError(
        'AP_ERR_REGISTRY_DUPLICATE',
        `${this.kind} '${name}' registered by '${existing.owner}' and '${owner}'`,
      );
    }
    this.#entries.set(name, { owner, value });
  }

  get(name: string): T | undefined {
    return this.#entries.get(name)?.value;
  }

  owner(name: string): string | undefined {
    return this.#entries.get(name)?.owner;
  }

  has(name: string): boolean {
    return this.#entries.has(name);
  }

  names(): string[] {
    return [...this.#entries.keys()];
  }

  entries(): [string, T][] {
    return [...this.#entries].map(([name, { value }]) => [name, value]);
  }

  freeze(): void {
    this.#frozen = true;
  }

  /** The view handed to one plugin: registrations are attributed to it. */
  forOwner(owner: string): OwnedRegistry<T> {
    return {
      register: (name, value) => this.register(name, value, owner),
      has: (name) => this.has(name),
    };
  }
}

export interface OwnedRegistry<T> {
  register(name: string, value: T): void;
  has(name: string): boolean;
}

/** The view handed to the runtime: a plugin that owns a page or an endpoint reads the entries others registered. */
export type ReadableRegistry<T> = Pick<Registry<T>, 'get' | 'has' | 'names' | 'entries' | 'owner'>;
