/**
 * Every admin operation on resources, shared by the admin API and the CLI so both validate, audit and answer the
 * same way. Errors are RFC 9457 problems (the CLI prints their detail). Each change refreshes this process's copy
 * of the table and the discovery document before it answers.
 */
import { badRequest, bodyValidator, conflict, mapPage, notFound, pageQuery, ProblemError, uuidv7, type Page, type RuntimeApi } from 'authplane';
import type { BackendsRegistry } from './backends.js';
import type { DependentsRegistry } from './dependents.js';
import type { Resource, ResourcePolicy } from './types.js';
import type { ResourceCatalog } from './catalog.js';
import { createResourceSchema, updateResourceSchema, type ResourceCreate, type ResourceFields, type ResourcePatch } from './schema.js';
import { RESOURCE_ORDER, toResource, type ResourceStore, type StoredResource } from './store.js';
import { MAX_URI_KEY_LENGTH, normalizeResourceUri, ResourceUriError } from './uri.js';

/** Who asked, for the audit trail. */
export interface Actor {
  actor_id: 'admin-api' | `user:${string}` | 'cli' | 'seed';
  ip?: string | null;
  request_id?: string | null;
}

const problem = (field: string, message: string) => badRequest(`${field}: ${message}`, { errors: [{ field, message }] });

/** Every policy list present, so readers never check for a missing branch. */
export function completePolicy(policy: ResourceFields['policy']): Required<ResourcePolicy> {
  return {
    exchange: { allowed_client_ids: policy?.exchange?.allowed_client_ids ?? [] },
    runtime: { client_ids: policy?.runtime?.client_ids ?? [] },
    connect: { allowed_return_urls: policy?.connect?.allowed_return_urls ?? [] },
  };
}

/** Rules between fields, checked on the merged result of a create or an update. */
function checkFields(fields: ResourceFields): { uri_key: string; broker_provider_id: string | null } {
  let uri_key: string;
  try {
    uri_key = normalizeResourceUri(fields.uri).key;
  } catch (err) {
    if (err instanceof ResourceUriError) throw problem('uri', err.message);
    throw err;
  }
  // Checked here, where a URI is written, not in lookups: a longer key simply matches no row.
  if (uri_key.length > MAX_URI_KEY_LENGTH) {
    throw problem(
      'uri',
      `is longer than ${MAX_URI_KEY_LENGTH} characters once normalized (${uri_key.length}, non-ASCII characters ` +
        'percent-encoded); shorten it or write it with fewer non-ASCII characters',
    );
  }
  const provider = fields.broker_provider_id ?? null;
  if (fields.backend_kind === 'broker' && provider === null) {
    throw problem('broker_provider_id', 'is required when backend_kind is broker');
  }
  if (fields.backend_kind === 'mint' && provider !== null) {
    throw problem('broker_provider_id', 'must be absent when backend_kind is mint');
  }
  const seen = new Set<string>();
  for (const [i, scope] of fields.scopes.entries()) {
    if (seen.has(scope.name)) throw problem(`scopes.${i}.name`, `'${scope.name}' is listed twice`);
    seen.add(scope.name);
  }
  return { uri_key, broker_provider_id: provider };
}

export class ResourceOperations {
  readonly #validateCreate = bodyValidator(createResourceSchema);
  readonly #validateUpdate = bodyValidator(updateResourceSchema);

  constructor(
    private readonly store: ResourceStore,
    private readonly catalog: ResourceCatalog,
    private readonly runtime: () => RuntimeApi,
    private readonly dependents: DependentsRegistry,
    private readonly backends: BackendsRegistry,
  ) {}

  async create(body: unknown, actor: Actor): Promise<Resource> {
    const input = this.#validateCreate(body);
    const fields: ResourceFields = { ...input, backend_kind: input.backend_kind ?? 'mint', scopes: input.scopes ?? [] };
    const checked = await this.#checkFields(fields);
    await this.#refuseDuplicates(fields.slug, checked.uri_key);
    const now = Date.now();
    const resource: StoredResource = {
      id: uuidv7(now),
      slug: fields.slug,
      display_name: fields.display_name,
      uri: fields.uri,
      uri_key: checked.uri_key,
      backend_kind: fields.backend_kind,
      broker_provider_id: checked.broker_provider_id,
      scopes: fields.scopes,
      policy: completePolicy(fields.policy),
      created_at: now,
      updated_at: now,
    };
    await this.#write(() => this.store.insert(resource));
    await this.catalog.changed(resource.id);
    this.#audit('resource_created', resource, actor, { slug: resource.slug, uri: resource.uri, backend_kind: resource.backend_kind });
    return toResource(resource);
  }

  /** One page of resources, oldest first: `raw` is the query (`limit`, `cursor`). */
  async list(raw: Readonly<Record<string, unknown>> = {}): Promise<Page<Resource>> {
    return mapPage(await this.store.page(pageQuery(raw, RESOURCE_ORDER).page), toResource);
  }

  async get(idOrSlug: string): Promise<Resource> {
    return toResource(await this.#find(idOrSlug));
  }

  /**
   * Changes some fields; the merged result is checked as a whole. `policy` is replaced whole. Switching to `mint`
   * without naming `broker_provider_id` clears it, since a mint resource has no upstream provider.
   */
  async update(idOrSlug: string, body: unknown, actor: Actor): Promise<Resource> {
    const patch = this.#validateUpdate(body);
    const current = await this.#find(idOrSlug);
    const pick = <K extends keyof ResourceFields>(key: K): ResourceFields[K] =>
      (key in patch ? patch[key] : current[key]) as ResourceFields[K];
    const fields: ResourceFields = {
      slug: pick('slug'),
      display_name: pick('display_name'),
      uri: pick('uri'),
      backend_kind: pick('backend_kind'),
      broker_provider_id:
        patch.backend_kind === 'mint' && !('broker_provider_id' in patch) ? null : pick('broker_provider_id'),
      scopes: pick('scopes'),
      policy: completePolicy(pick('policy')),
    };
    const checked = await this.#checkFields(fields);
    await this.#refuseDuplicates(
      fields.slug !== current.slug ? fields.slug : undefined,
      checked.uri_key !== current.uri_key ? checked.uri_key : undefined,
      current.id,
    );
    const values: Partial<StoredResource> = {
      slug: fields.slug,
      display_name: fields.display_name,
      uri: fields.uri,
      uri_key: checked.uri_key,
      backend_kind: fields.backend_kind,
      broker_provider_id: checked.broker_provider_id,
      scopes: fields.scopes,
      policy: completePolicy(fields.policy),
      // Strictly later than the stored row even within one millisecond or on a replica whose clock is behind: the
      // catalogs of the replicas tell an edited row by its `updated_at`.
      updated_at: Math.max(Date.now(), current.updated_at + 1),
    };
    const changed = (Object.keys(values) as (keyof StoredResource)[]).filter(
      (key) => key !== 'updated_at' && key !== 'uri_key' && JSON.stringify(values[key]) !== JSON.stringify(current[key]),
    );
    if (!(await this.#write(() => this.store.update(current.id, values)))) throw notFound(`resource '${idOrSlug}' not found`);
    await this.catalog.changed(current.id);
    const updated: StoredResource = { ...current, ...values };
    this.#audit('resource_updated', updated, actor, { slug: updated.slug, changed });
    return toResource(updated);
  }

  /**
   * Refused (409, listing them) while other plugins' records refer to the resource; with `cascade` they are removed
   * first, each audited by its plugin, and the resource's audit event lists them.
   */
  async delete(idOrSlug: string, actor: Actor, options: { cascade?: boolean } = {}): Promise<void> {
    const current = await this.#find(idOrSlug);
    const dependents = await this.dependents.list(current.id);
    if (dependents.length && !options.cascade) {
      const names = dependents.map((d) => `${d.kind} ${d.id} (${d.description})`).join(', ');
      throw new ProblemError(409, 'Conflict', `resource '${current.slug}' is referred to by ${names}; delete with cascade to remove them too`, {
        extra: { dependents },
      });
    }
    if (dependents.length) await this.dependents.remove(current.id, actor);
    if (!(await this.store.delete(current.id))) throw notFound(`resource '${idOrSlug}' not found`);
    await this.catalog.changed(current.id);
    const cascaded = dependents.length ? { cascaded: dependents.map(({ kind, id }) => ({ kind, id })) } : {};
    this.#audit('resource_deleted', current, actor, { slug: current.slug, uri: current.uri, ...cascaded });
  }

  /** The rules between fields, then the backend's own check of a resource that is not `mint`. */
  async #checkFields(fields: ResourceFields): Promise<{ uri_key: string; broker_provider_id: string | null }> {
    const checked = checkFields(fields);
    const broker_provider_id = await this.backends.check({
      slug: fields.slug,
      backend_kind: fields.backend_kind,
      broker_provider_id: checked.broker_provider_id,
      scopes: fields.scopes,
    });
    return { uri_key: checked.uri_key, broker_provider_id };
  }

  /** Straight from the table (not the snapshot): an operator's read must show what is stored now. */
  async #find(idOrSlug: string): Promise<StoredResource> {
    const found = (await this.store.findBy('id', idOrSlug)) ?? (await this.store.findBy('slug', idOrSlug));
    if (!found) throw notFound(`resource '${idOrSlug}' not found`);
    return found;
  }

  async #refuseDuplicates(slug: string | undefined, uriKey: string | undefined, exceptId?: string): Promise<void> {
    for (const other of await this.store.conflicts(slug, uriKey, exceptId)) {
      if (other.slug === slug) throw conflict(`a resource with slug '${slug}' already exists`);
      throw conflict(`resource '${other.slug}' already has this URI (${other.uri})`);
    }
  }

  /** The pre-check above can race a concurrent write; the unique indexes decide, and that is a 409 too. */
  async #write<T>(write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (err) {
      if (this.runtime().dialect.isUniqueViolation(err)) throw conflict('a resource with this slug or URI already exists');
      throw err;
    }
  }

  #audit(action: string, resource: StoredResource, actor: Actor, detail: Record<string, unknown>): void {
    this.runtime().audit.emit({
      action,
      actor_id: actor.actor_id,
      ip: actor.ip ?? null,
      request_id: actor.request_id ?? null,
      detail: { resource_id: resource.id, ...detail },
    });
  }
}
