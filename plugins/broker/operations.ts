/**
 * Every admin operation on broker providers, shared by the admin API, the CLI and the config's seeds so all of
 * them validate, audit and answer the same way. Errors are RFC 9457 problems (the CLI prints their detail). A
 * provider holds the NAME of the variable with its secret, never the secret: nothing here reads the value except to
 * warn that it is missing.
 */
import { badRequest, bodyValidator, conflict, mapPage, notFound, pageQuery, ProblemError, uuidv7, type Page, type RuntimeApi } from 'authplane';
import type { BackendResourceFields, Resource, ResourceRegistry } from '../resources/types.js';
import { CONFIG_SCHEMAS, createProviderSchema, updateProviderSchema } from './provider-schema.js';
import { configProblems, type FieldProblem } from './provider-rules.js';
import { PROVIDER_ORDER, toProvider, type ProviderStore, type StoredProvider } from './store.js';
import type { BrokerProvider, ProviderProtocol } from './types.js';

/** Who asked, for the audit trail. */
export interface Actor {
  actor_id: 'admin-api' | `user:${string}` | 'cli' | 'seed';
  ip?: string | null;
  request_id?: string | null;
}

export interface OperationSettings {
  /** Loopback and private upstream addresses allowed (broker.outbound.allowPrivateAddresses). */
  allowPrivateAddresses: boolean;
  environmentVariable: (name: string) => string | undefined;
  /** The users' grants with a provider (grants/operations.ts): a delete is refused while any exist, unless it cascades. */
  grants?: () => ProviderGrants;
}

export interface ProviderGrants {
  countForProvider(providerId: string): Promise<number>;
  /** Deletes them, each audited as revoked by `actor`; how many went. */
  revokeForProvider(provider: Pick<BrokerProvider, 'id' | 'slug'>, actor: Actor): Promise<number>;
}

const fieldProblem = (errors: FieldProblem[]) => badRequest(errors.map((e) => `${e.field}: ${e.message}`).join('; '), { errors });

/** The variable holding a provider's secret: the client secret, or an api_key provider's key. */
export function secretVariable(provider: Pick<StoredProvider, 'protocol' | 'config'>): string {
  return String(provider.protocol === 'api_key' ? provider.config.credential_ref : provider.config.client_secret_ref);
}

export class ProviderOperations {
  readonly #validateCreate = bodyValidator(createProviderSchema);
  readonly #validateUpdate = bodyValidator(updateProviderSchema);
  readonly #validateConfig = {
    oauth: bodyValidator(CONFIG_SCHEMAS.oauth),
    api_key: bodyValidator(CONFIG_SCHEMAS.api_key),
    service_account: bodyValidator(CONFIG_SCHEMAS.service_account),
  };

  constructor(
    private readonly store: ProviderStore,
    private readonly resources: () => ResourceRegistry,
    private readonly runtime: () => RuntimeApi,
    private readonly settings: OperationSettings,
  ) {}

  async create(body: unknown, actor: Actor): Promise<BrokerProvider> {
    const input = this.#validateCreate(body);
    const config = this.#checkConfig(input.protocol, input.config);
    if (await this.store.findBy('slug', input.slug)) throw this.#slugTaken(input.slug);
    const now = Date.now();
    const provider: StoredProvider = {
      id: uuidv7(now),
      slug: input.slug,
      display_name: input.display_name,
      protocol: input.protocol,
      config,
      created_at: now,
      updated_at: now,
    };
    await this.#write(input.slug, () => this.store.insert(provider));
    this.#audit('broker_provider_created', provider, actor, { protocol: provider.protocol });
    this.warnIfSecretUnset(provider);
    return toProvider(provider);
  }

  async list(): Promise<BrokerProvider[]> {
    return (await this.store.all()).map(toProvider);
  }

  /** One page of providers, oldest first: `raw` is the query (`limit`, `cursor`). */
  async page(raw: Readonly<Record<string, unknown>> = {}): Promise<Page<BrokerProvider>> {
    return mapPage(await this.store.page(pageQuery(raw, PROVIDER_ORDER).page), toProvider);
  }

  async get(idOrSlug: string): Promise<BrokerProvider> {
    return toProvider(await this.#find(idOrSlug));
  }

  /**
   * Changes `display_name` and members of `config` (those given replace the stored ones; `authorize_params` and
   * scope lists are replaced whole); the merged config is checked as a whole. `slug` and `protocol` are fixed:
   * resources and connect URLs name a provider by its slug, and a grant is only meaningful under its protocol.
   */
  async update(idOrSlug: string, body: unknown, actor: Actor): Promise<BrokerProvider> {
    const patch = this.#validateUpdate(body);
    const current = await this.#find(idOrSlug);
    const fixed: FieldProblem[] = [];
    if (patch.slug !== undefined && patch.slug !== current.slug) {
      fixed.push({ field: 'slug', message: 'cannot be changed (resources and connect URLs name the provider by it); create another provider' });
    }
    if (patch.protocol !== undefined && patch.protocol !== current.protocol) {
      fixed.push({ field: 'protocol', message: 'cannot be changed; create another provider' });
    }
    if (fixed.length) throw fieldProblem(fixed);
    const config = patch.config ? this.#checkConfig(current.protocol, { ...current.config, ...patch.config }) : current.config;
    const values = { display_name: patch.display_name ?? current.display_name, config, updated_at: Date.now() };
    const changed = [
      ...(values.display_name !== current.display_name ? ['display_name'] : []),
      ...[...new Set([...Object.keys(current.config), ...Object.keys(config)])]
        .filter((key) => JSON.stringify(current.config[key]) !== JSON.stringify(config[key]))
        .map((key) => `config.${key}`),
    ];
    if (!(await this.store.update(current.id, values))) throw notFound(`broker provider '${idOrSlug}' not found`);
    const updated: StoredProvider = { ...current, ...values };
    this.#audit('broker_provider_updated', updated, actor, { changed });
    if (changed.includes('config.client_secret_ref') || changed.includes('config.credential_ref')) this.warnIfSecretUnset(updated);
    return toProvider(updated);
  }

  /**
   * Refused (409, listing them) while broker resources name the provider, and (409, counting them) while users hold
   * grants with it unless `cascade`, which deletes the grants first (each audited as `broker_grant_revoked`).
   */
  async delete(idOrSlug: string, actor: Actor, options: { cascade?: boolean } = {}): Promise<void> {
    const current = await this.#find(idOrSlug);
    const naming = await this.resourcesNaming(current);
    if (naming.length) {
      const names = naming.map((r) => `'${r.slug}'`).join(', ');
      throw new ProblemError(409, 'Conflict', `broker provider '${current.slug}' is named by resource${naming.length > 1 ? 's' : ''} ${names}; change or delete them first`, {
        extra: { resources: naming.map((r) => ({ id: r.id, slug: r.slug })) },
      });
    }
    const grants = this.settings.grants?.();
    const held = grants ? await grants.countForProvider(current.id) : 0;
    if (held && !options.cascade) {
      throw new ProblemError(409, 'Conflict', `broker provider '${current.slug}' has ${held} user grant${held > 1 ? 's' : ''}; delete with cascade to revoke them too`, {
        extra: { grants: held },
      });
    }
    const revoked = held && grants ? await grants.revokeForProvider(current, actor) : 0;
    if (!(await this.store.delete(current.id))) throw notFound(`broker provider '${idOrSlug}' not found`);
    this.#audit('broker_provider_deleted', current, actor, revoked ? { grants_revoked: revoked } : {});
  }

  /** The broker resources whose `broker_provider_id` names the provider (by slug, as stored, or by id). */
  async resourcesNaming(provider: Pick<StoredProvider, 'id' | 'slug'>): Promise<Resource[]> {
    return (await this.resources().list()).filter(
      (r) => r.backend_kind === 'broker' && (r.broker_provider_id === provider.slug || r.broker_provider_id === provider.id),
    );
  }

  /**
   * The resources plugin's check of a broker resource (registerBackend): its provider must exist; what is stored is
   * the provider's slug, however the resource named it.
   */
  async validateResource(fields: BackendResourceFields): Promise<{ broker_provider_id: string }> {
    const ref = fields.broker_provider_id ?? '';
    const provider = await this.store.find(ref);
    if (!provider) {
      throw fieldProblem([{ field: 'broker_provider_id', message: `names no broker provider ('${ref}'); create it first (POST /admin/broker-providers)` }]);
    }
    return { broker_provider_id: provider.slug };
  }

  /** Logs (never throws) when the variable holding the provider's secret is not set in this server's environment. */
  warnIfSecretUnset(provider: StoredProvider): void {
    const variable = secretVariable(provider);
    if (!this.settings.environmentVariable(variable)) {
      this.runtime().log.warn(
        { provider: provider.slug, variable },
        `broker provider '${provider.slug}': the variable ${variable} holding its secret is not set; calls to the provider will fail until it is`,
      );
    }
  }

  async warnUnsetSecrets(): Promise<void> {
    for (const provider of await this.store.all()) this.warnIfSecretUnset(provider);
  }

  /** The config checked against its protocol's shape (defaults filled in) and rules; problems name `config.<field>`. */
  #checkConfig(protocol: ProviderProtocol, raw: Record<string, unknown>): Record<string, unknown> {
    // The validator fills in defaults: on a copy, so a caller's object (a seed in the options) stays as it was.
    const config = structuredClone(raw);
    try {
      this.#validateConfig[protocol](config);
    } catch (err) {
      if (!(err instanceof ProblemError)) throw err;
      const errors = (err.extra.errors as FieldProblem[]).map((e) => ({ ...e, field: e.field === '(body)' ? 'config' : `config.${e.field}` }));
      throw fieldProblem(errors);
    }
    const problems = configProblems(protocol, config, this.settings.allowPrivateAddresses);
    if (problems.length) throw fieldProblem(problems);
    return config;
  }

  async #find(idOrSlug: string): Promise<StoredProvider> {
    const found = await this.store.find(idOrSlug);
    if (!found) throw notFound(`broker provider '${idOrSlug}' not found`);
    return found;
  }

  #slugTaken(slug: string): ProblemError {
    return conflict(`a broker provider with slug '${slug}' already exists`);
  }

  /** The pre-check can race a concurrent create; the unique index decides, and that is a 409 too. */
  async #write(slug: string, write: () => Promise<void>): Promise<void> {
    try {
      await write();
    } catch (err) {
      if (this.runtime().dialect.isUniqueViolation(err)) throw this.#slugTaken(slug);
      throw err;
    }
  }

  #audit(action: string, provider: StoredProvider, actor: Actor, detail: Record<string, unknown>): void {
    this.runtime().audit.emit({
      action,
      actor_id: actor.actor_id,
      ip: actor.ip ?? null,
      request_id: actor.request_id ?? null,
      detail: { provider_id: provider.id, slug: provider.slug, ...detail },
    });
  }
}
