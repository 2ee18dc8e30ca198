/**
 * Every admin operation on clients, shared by the admin API and the CLI so both validate, audit and answer the
 * same way. Errors are RFC 9457 problems (the CLI prints their detail).
 */
import { bodyValidator, conflict, mapPage, notFound, badRequest, pageQuery, type Page, type RuntimeApi } from 'authplane';
import type { Counter } from 'prom-client';
import { normalizeClientFields, type NormalizedFields } from './metadata.js';
import { generateClientId, generateClientSecret, secretDigest } from './secrets.js';
import {
  CLIENT_STATUSES,
  CONFIDENTIAL_METHODS,
  createClientSchema,
  KEY_FIELDS,
  updateClientSchema,
  type ClientFields,
  type ClientPatch,
  type ClientStatus,
} from './schema.js';
import { CLIENT_ORDER, type ClientStore, type StoredClient } from './store.js';

/** Who asked, for the audit trail. */
export interface Actor {
  actor_id: 'admin-api' | `user:${string}` | 'cli';
  ip?: string | null;
  request_id?: string | null;
}

/** A client as the admin API and CLI show it: never the secret or its digest. */
export interface ClientView extends NormalizedFields {
  id: string;
  client_id: string;
  status: ClientStatus;
  registration_source: string;
  metadata: Record<string, unknown>;
  /** RFC 9449 §5.2, stored in `metadata` where the token endpoint's DPoP check reads it. */
  dpop_bound_access_tokens: boolean;
  /** RFC 7591 §2 keys of a `private_key_jwt` client, stored in `metadata`; null when not registered. */
  jwks: Record<string, unknown> | null;
  jwks_uri: string | null;
  /** Fields an administrator changed; a metadata document refresh leaves them as the administrator set them. */
  admin_fields: string[];
  created_at: string;
  updated_at: string;
  last_used_at: string | null;
}

/** A view that carries a freshly issued secret, shown this once. */
export type ClientWithSecret = ClientView & { client_secret?: string };

export type Transition = 'suspend' | 'revoke' | 'reactivate';

/** The client state machine; `revoked` is final. */
const TRANSITIONS: Record<Transition, { from: readonly ClientStatus[]; to: ClientStatus; action: string }> = {
  suspend: { from: ['active'], to: 'suspended', action: 'client_suspended' },
  revoke: { from: ['active', 'suspended'], to: 'revoked', action: 'client_revoked' },
  reactivate: { from: ['suspended'], to: 'active', action: 'client_reactivated' },
};
const EDITABLE: readonly ClientStatus[] = ['active', 'suspended'];
const SOURCE_PATTERN = /^[a-z][a-z0-9_-]{0,31}$/;

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function clientView(client: StoredClient): ClientView {
  return {
    id: client.client_id,
    client_id: client.client_id,
    client_name: client.client_name,
    redirect_uris: client.redirect_uris,
    grant_types: client.grant_types,
    response_types: client.response_types,
    token_endpoint_auth_method: client.token_endpoint_auth_method,
    scope: client.scope,
    application_type: client.application_type,
    agent: client.agent,
    agent_description: client.agent_description,
    status: client.status,
    registration_source: client.registration_source,
    metadata: client.metadata,
    dpop_bound_access_tokens: client.metadata.dpop_bound_access_tokens === true,
    jwks: (client.metadata.jwks as Record<string, unknown> | undefined) ?? null,
    jwks_uri: (client.metadata.jwks_uri as string | undefined) ?? null,
    admin_fields: client.admin_fields,
    created_at: iso(client.created_at)!,
    updated_at: iso(client.updated_at)!,
    last_used_at: iso(client.last_used_at),
  };
}

export class ClientOperations {
  readonly #validateCreate = bodyValidator(createClientSchema);
  readonly #validateUpdate = bodyValidator(updateClientSchema);

  constructor(
    private readonly store: ClientStore,
    private readonly runtime: () => RuntimeApi,
    private readonly registered: Counter<'source'>,
    private readonly grantRegistered: (grantType: string) => boolean,
  ) {}

  async create(body: unknown, actor: Actor): Promise<ClientWithSecret> {
    const input = this.#validateCreate(body);
    const fields = normalizeClientFields(input, this.grantRegistered);
    const secret = CONFIDENTIAL_METHODS.has(fields.token_endpoint_auth_method) ? generateClientSecret() : undefined;
    const now = Date.now();
    const client: StoredClient = {
      ...fields,
      client_id: generateClientId(),
      secret_digest: secret ? secretDigest(secret) : null,
      status: 'active',
      registration_source: 'admin',
      created_at: now,
      updated_at: now,
      last_used_at: null,
      metadata: {
        ...(input.dpop_bound_access_tokens ? { dpop_bound_access_tokens: true } : {}),
        ...(input.jwks ? { jwks: input.jwks } : {}),
        ...(input.jwks_uri ? { jwks_uri: input.jwks_uri } : {}),
      },
      admin_fields: [],
    };
    await this.store.insert(client);
    this.registered.inc({ source: client.registration_source });
    this.#audit('client_created', client.client_id, actor, {
      client_name: client.client_name,
      registration_source: client.registration_source,
      token_endpoint_auth_method: client.token_endpoint_auth_method,
      grant_types: client.grant_types,
    });
    return { ...clientView(client), ...(secret ? { client_secret: secret } : {}) };
  }

  /** One page of clients, newest first: `raw` is the query (`status`, `source`, `limit`, `cursor`). */
  async list(raw: Readonly<Record<string, unknown>> = {}): Promise<Page<ClientView>> {
    const { filters: filter, page } = pageQuery(raw, CLIENT_ORDER, ['status', 'source'] as const);
    if (filter.status !== undefined && !(CLIENT_STATUSES as readonly string[]).includes(filter.status)) {
      throw badRequest(`status: must be one of: ${CLIENT_STATUSES.join(', ')}`, {
        errors: [{ field: 'status', message: `must be one of: ${CLIENT_STATUSES.join(', ')}` }],
      });
    }
    if (filter.source !== undefined && !SOURCE_PATTERN.test(filter.source)) {
      throw badRequest('source: must be a registration source such as admin, dcr or cimd', {
        errors: [{ field: 'source', message: 'must be a registration source such as admin, dcr or cimd' }],
      });
    }
    return mapPage(await this.store.list(filter, page), clientView);
  }

  async get(clientId: string): Promise<ClientView> {
    return clientView(await this.#find(clientId));
  }

  /**
   * Changes some fields; the merged result is checked as a whole. Switching a public client to a secret-based
   * method issues a secret (returned once); switching to `none` drops the stored digest.
   */
  async update(clientId: string, body: unknown, actor: Actor): Promise<ClientWithSecret> {
    const patch = this.#validateUpdate(body);
    const current = await this.#find(clientId);
    if (current.status === 'revoked') throw conflict(`client '${clientId}' is revoked and cannot be changed`);
    const pick = <K extends keyof ClientFields & keyof StoredClient>(key: K): ClientFields[K] =>
      (key in patch ? patch[key] : current[key]) as ClientFields[K];
    const fields = normalizeClientFields({
      client_name: pick('client_name'),
      redirect_uris: pick('redirect_uris'),
      grant_types: pick('grant_types'),
      // New grants without new response types: derive them again from the grants.
      response_types: 'response_types' in patch || !('grant_types' in patch) ? pick('response_types') : undefined,
      token_endpoint_auth_method: pick('token_endpoint_auth_method'),
      scope: pick('scope'),
      application_type: pick('application_type'),
      agent: pick('agent'),
      agent_description: pick('agent_description'),
      jwks: 'jwks' in patch ? patch.jwks : (current.metadata.jwks as ClientFields['jwks']),
      jwks_uri: 'jwks_uri' in patch ? patch.jwks_uri : (current.metadata.jwks_uri as ClientFields['jwks_uri']),
    }, this.grantRegistered);
    const confidential = CONFIDENTIAL_METHODS.has(fields.token_endpoint_auth_method);
    const secret = confidential && !current.secret_digest ? generateClientSecret() : undefined;
    const secret_digest = !confidential ? null : secret ? secretDigest(secret) : current.secret_digest;
    const changed: string[] = (Object.keys(fields) as (keyof NormalizedFields)[]).filter(
      (key) => JSON.stringify(fields[key]) !== JSON.stringify(current[key]),
    );
    const dpopBound = patch.dpop_bound_access_tokens ?? current.metadata.dpop_bound_access_tokens === true;
    if (dpopBound !== (current.metadata.dpop_bound_access_tokens === true)) changed.push('dpop_bound_access_tokens');
    const { dpop_bound_access_tokens: _previous, ...otherMetadata } = current.metadata;
    const metadata: Record<string, unknown> = dpopBound ? { ...otherMetadata, dpop_bound_access_tokens: true } : otherMetadata;
    for (const key of KEY_FIELDS) {
      if (!(key in patch)) continue;
      if (JSON.stringify(patch[key] ?? null) !== JSON.stringify(current.metadata[key] ?? null)) changed.push(key);
      if (patch[key] == null) delete metadata[key];
      else metadata[key] = patch[key];
    }
    // Every field named in the patch, changed or not: the administrator has decided its value, so a metadata
    // document fetched later must not undo it (registration.ts).
    const admin_fields = [...new Set([...current.admin_fields, ...Object.keys(patch)])].sort();
    // Strictly later than what was read: a metadata document refresh that read the old row must see the change.
    const updated_at = Math.max(Date.now(), current.updated_at + 1);
    const updated: StoredClient = { ...current, ...fields, metadata, secret_digest, admin_fields, updated_at };
    const values = { ...fields, metadata, secret_digest, admin_fields, updated_at: updated.updated_at };
    if (!(await this.store.update(clientId, values, EDITABLE))) {
      throw await this.#whyUnchanged(clientId, 'be changed');
    }
    this.#audit('client_updated', clientId, actor, { changed, ...(secret ? { secret_issued: true } : {}) });
    return { ...clientView(updated), ...(secret ? { client_secret: secret } : {}) };
  }

  async delete(clientId: string, actor: Actor): Promise<void> {
    const current = await this.#find(clientId);
    if (!(await this.store.delete(clientId))) throw notFound(`client '${clientId}' not found`);
    this.#audit('client_deleted', clientId, actor, { client_name: current.client_name, status: current.status });
  }

  /** Replaces the secret; the old one stops working at once. Public clients have none to rotate. */
  async rotateSecret(clientId: string, actor: Actor): Promise<ClientView & { client_secret: string }> {
    const current = await this.#find(clientId);
    if (!CONFIDENTIAL_METHODS.has(current.token_endpoint_auth_method)) {
      throw conflict(
        current.token_endpoint_auth_method === 'none'
          ? `client '${clientId}' is a public client (token_endpoint_auth_method none) and has no secret`
          : `client '${clientId}' authenticates with ${current.token_endpoint_auth_method} and has no secret`,
      );
    }
    if (current.status === 'revoked') throw conflict(`client '${clientId}' is revoked and cannot get a new secret`);
    const secret = generateClientSecret();
    const updated: StoredClient = { ...current, secret_digest: secretDigest(secret), updated_at: Date.now() };
    const values = { secret_digest: updated.secret_digest, updated_at: updated.updated_at };
    if (!(await this.store.update(clientId, values, EDITABLE))) throw await this.#whyUnchanged(clientId, 'get a new secret');
    this.#audit('client_secret_rotated', clientId, actor, {});
    return { ...clientView(updated), client_secret: secret };
  }

  async transition(clientId: string, transition: Transition, actor: Actor): Promise<ClientView> {
    const { from, to, action } = TRANSITIONS[transition];
    const current = await this.#find(clientId);
    if (!from.includes(current.status)) {
      throw conflict(`cannot ${transition} client '${clientId}': it is ${current.status} (allowed from ${from.join(', ')})`);
    }
    // A revoked client never authenticates again, so its secret digest has no further use.
    const values: Partial<StoredClient> = { status: to, updated_at: Date.now(), ...(to === 'revoked' ? { secret_digest: null } : {}) };
    if (!(await this.store.update(clientId, values, [current.status]))) throw await this.#whyUnchanged(clientId, `be ${to}`);
    this.#audit(action, clientId, actor, { from: current.status, to });
    return clientView({ ...current, ...values } as StoredClient);
  }

  async #find(clientId: string): Promise<StoredClient> {
    const client = await this.store.find(clientId);
    if (!client) throw notFound(`client '${clientId}' not found`);
    return client;
  }

  /** A conditional write matched no row: the client was deleted or changed state since it was read. */
  async #whyUnchanged(clientId: string, what: string) {
    const now = await this.store.find(clientId);
    return now ? conflict(`client '${clientId}' is ${now.status} and cannot ${what}`) : notFound(`client '${clientId}' not found`);
  }

  #audit(action: string, clientId: string, actor: Actor, detail: Record<string, unknown>): void {
    this.runtime().audit.emit({
      action,
      actor_id: actor.actor_id,
      client_id: clientId,
      ip: actor.ip ?? null,
      request_id: actor.request_id ?? null,
      detail,
    });
  }
}
