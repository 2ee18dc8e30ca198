/**
 * Records of other plugins that refer to a resource (fronting links…), registered through the `resources` service
 * so the resources plugin guards its deletes without knowing those plugins.
 */
import type { ResourceDeleteActor, ResourceDependent, ResourceDependents } from './types.js';

export class DependentsRegistry {
  readonly #sources = new Map<string, ResourceDependents>();
  #closed = false;

  register(owner: string, dependents: ResourceDependents): void {
    // Like the kernel's registries: wiring happens in register, so every server sees the same guard from its start.
    if (this.#closed) throw new Error(`resource dependents of '${owner}' registered after register; call registerDependents in register`);
    if (this.#sources.has(owner)) throw new Error(`resource dependents of '${owner}' are registered twice`);
    this.#sources.set(owner, dependents);
  }

  close(): void {
    this.#closed = true;
  }

  async list(resourceId: string): Promise<ResourceDependent[]> {
    const lists = await Promise.all([...this.#sources.values()].map((source) => source.list(resourceId)));
    return lists.flat();
  }

  async remove(resourceId: string, actor: ResourceDeleteActor): Promise<void> {
    for (const source of this.#sources.values()) await source.remove(resourceId, actor);
  }
}
