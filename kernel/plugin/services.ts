import type { Services } from '../contracts.js';
import { BootError } from '../errors.js';

/**
 * The services plugins provide to each other, by name. One provider per name; a plugin may use a service only of a
 * plugin in its dependsOn closure, so the order plugins start in always has the provider first.
 */
export class ServiceDirectory {
  readonly #entries = new Map<string, { owner: string; impl: unknown }>();

  provide<K extends keyof Services>(owner: string, service: K, impl: Services[K]): void {
    const existing = this.#entries.get(service as string);
    if (existing) {
      throw new BootError('AP_ERR_REGISTRY_DUPLICATE', `service '${String(service)}' provided by '${existing.owner}' and '${owner}'`);
    }
    this.#entries.set(service as string, { owner, impl });
  }

  use<K extends keyof Services>(plugin: string, deps: ReadonlySet<string>, service: K): Services[K] {
    const entry = this.#entries.get(service as string);
    if (!entry || !deps.has(entry.owner)) {
      throw new BootError(
        'AP_ERR_SERVICE_MISSING',
        entry
          ? `plugin '${plugin}' uses service '${String(service)}' of '${entry.owner}' without declaring dependsOn: ['${entry.owner}']`
          : `plugin '${plugin}' uses service '${String(service)}', which no enabled plugin provides`,
      );
    }
    return entry.impl as Services[K];
  }
}
