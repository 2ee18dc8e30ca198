/**
 * Who serves resources that are not `mint`. The resources plugin stores every resource but issues tokens only for
 * `mint` ones; a `broker` resource is served by the plugin that registered that backend (the broker), which checks
 * the resource's fields before they are written. A kind nobody registered is refused, so a resource can never be
 * stored that no enabled plugin can serve.
 */
import { badRequest } from 'authplane';
import type { BackendResourceFields, ResourceBackend, ResourceBackendKind } from './types.js';

export class BackendsRegistry {
  readonly #backends = new Map<ResourceBackendKind, { owner: string; backend: ResourceBackend; prepared?: Promise<void> }>();
  #closed = false;

  register(owner: string, kind: ResourceBackendKind, backend: ResourceBackend): void {
    // Like the kernel's registries: wired in register, so every request and seed sees the same backends.
    if (this.#closed) throw new Error(`resource backend '${kind}' of '${owner}' registered after register; call registerBackend in register`);
    const taken = this.#backends.get(kind);
    if (taken) throw new Error(`resource backend '${kind}' is registered by '${taken.owner}' and '${owner}'`);
    this.#backends.set(kind, { owner, backend });
  }

  close(): void {
    this.#closed = true;
  }

  /**
   * Lets each backend the seeds name put its own seeds in first (the broker's providers, which the seeded broker
   * resources name), once per server. A kind nobody serves is left for the seed's own create to refuse.
   */
  async prepareSeeds(kinds: Iterable<string>): Promise<void> {
    for (const kind of new Set(kinds)) {
      const entry = this.#backends.get(kind as ResourceBackendKind);
      if (entry?.backend.prepareSeeds) await (entry.prepared ??= entry.backend.prepareSeeds());
    }
  }

  /**
   * The checked `broker_provider_id` of a resource about to be written: refused (400 naming `backend_kind`) when no
   * plugin serves its kind, else as the backend normalized it.
   */
  async check(fields: BackendResourceFields): Promise<string | null> {
    if (fields.backend_kind === 'mint') return fields.broker_provider_id;
    const entry = this.#backends.get(fields.backend_kind);
    if (!entry) {
      const message = `'${fields.backend_kind}' resources are served by no enabled plugin (enable the plugin that serves them, e.g. broker)`;
      throw badRequest(`backend_kind: ${message}`, { errors: [{ field: 'backend_kind', message }] });
    }
    const normalized = await entry.backend.validate(fields);
    return normalized?.broker_provider_id ?? fields.broker_provider_id;
  }
}
