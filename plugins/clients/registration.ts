/**
 * Self-registration (RFC 7591 DCR, CIMD) through the `clients` service: the same schema and field rules as the
 * admin API (schema.ts, metadata.ts), the same table, only the source, the audit action and the grant policy
 * differ. Validation failures are returned as values so the registering plugin can answer in its protocol's shape.
 */
import {
  bodyValidator,
  ProblemError,
  type RuntimeApi,
} from 'authplane';
import type { ClientMetadataInput, ClientRegistration, FieldProblem, RegistrationContext } from './types.js';
import type { Counter } from 'prom-client';
import { checkClientFields, type GrantPolicy, type NormalizedFields } from './metadata.js';
import { generateClientId, generateClientSecret, secretDigest } from './secrets.js';
import { CONFIDENTIAL_METHODS, createClientSchema, type ClientFields } from './schema.js';
import { toClientContract, type ClientStore, type StoredClient } from './store.js';

const ANY_STATUS = ['active', 'suspended', 'revoked'] as const;

/** The longest client_id a self-registration may name: every column that stores a client_id is varchar(512). */
const MAX_CLIENT_ID_LENGTH = 512;

/** Metadata members only an administrator sets on a client named by its own id; a refresh keeps the stored value. */
const ADMIN_METADATA_FIELDS = ['dpop_bound_access_tokens'] as const;

/**
 * The registrant's input with every field the administrator set replaced by the stored value, so the rules between
 * fields are checked on what will be stored. Response types left to follow the administrator's grants when the
 * administrator set the grants but not the response types.
 */
function keepAdminFields(input: ClientMetadataInput, existing: StoredClient, adminSet: ReadonlySet<string>): ClientMetadataInput {
  const pick = <K extends keyof ClientMetadataInput & keyof StoredClient>(key: K): ClientMetadataInput[K] =>
    (adminSet.has(key) ? existing[key] : input[key]) as ClientMetadataInput[K];
  const responseTypes = adminSet.has('response_types')
    ? existing.response_types
    : adminSet.has('grant_types')
      ? undefined
      : input.response_types;
  return {
    ...input,
    client_name: pick('client_name'),
    redirect_uris: pick('redirect_uris'),
    grant_types: pick('grant_types'),
    token_endpoint_auth_method: pick('token_endpoint_auth_method'),
    scope: pick('scope'),
    application_type: pick('application_type'),
    agent: pick('agent'),
    agent_description: pick('agent_description'),
    response_types: responseTypes,
  };
}

export class ClientRegistrations {
  readonly #validate = bodyValidator(createClientSchema);

  constructor(
    private readonly store: ClientStore,
    private readonly runtime: () => RuntimeApi,
    private readonly registered: Counter<'source'>,
    private readonly grantEnabled: (grantType: string) => boolean,
  ) {}

  async register(input: ClientMetadataInput, context: RegistrationContext): Promise<ClientRegistration> {
    const checked = this.#check(input, context);
    if (!checked.ok) return checked;
    const secret = CONFIDENTIAL_METHODS.has(checked.fields.token_endpoint_auth_method) ? generateClientSecret() : undefined;
    const client = this.#newClient(generateClientId(), checked.fields, input, context, secret);
    await this.store.insert(client);
    this.#registered(client, context);
    return { ok: true, client: toClientContract(client), createdAt: client.created_at, created: true, ...(secret ? { clientSecret: secret } : {}) };
  }

  async upsertWithId(clientId: string, input: ClientMetadataInput, context: RegistrationContext): Promise<ClientRegistration> {
    // Every column that stores a client_id is varchar(512); a longer id would fail on insert (PostgreSQL).
    if (clientId.length > MAX_CLIENT_ID_LENGTH) return problem('client_id', `must be at most ${MAX_CLIENT_ID_LENGTH} characters`);
    const existing = await this.store.find(clientId);
    if (!existing) {
      const checked = this.#checkWithId(input, context);
      if (!checked.ok) return checked;
      const client = this.#newClient(clientId, checked.fields, input, context, undefined);
      try {
        await this.store.insert(client);
        this.#registered(client, context);
        return { ok: true, client: toClientContract(client), createdAt: client.created_at, created: true };
      } catch (err) {
        // Another replica inserted it between our read and write: refresh that row instead.
        if (!this.runtime().dialect.isUniqueViolation(err)) throw err;
        return this.upsertWithId(clientId, input, context);
      }
    }
    if (existing.registration_source !== context.source) {
      return problem('client_id', `is already registered (source ${existing.registration_source})`);
    }
    const adminSet = new Set(existing.admin_fields);
    const checked = this.#checkWithId(keepAdminFields(input, existing, adminSet), context);
    if (!checked.ok) return checked;
    // Normalized fields the administrator set keep the stored value (a refresh never undoes an administrator's edit).
    const fields = { ...checked.fields };
    for (const key of Object.keys(fields) as (keyof NormalizedFields)[]) {
      if (adminSet.has(key)) (fields as Record<string, unknown>)[key] = existing[key];
    }
    const metadata = { ...(input.metadata ?? {}) };
    for (const key of ADMIN_METADATA_FIELDS) {
      if (existing.metadata[key] === undefined) delete metadata[key];
      else metadata[key] = existing.metadata[key];
    }
    const values: Partial<StoredClient> = { ...fields, metadata };
    const changed = (Object.keys(values) as (keyof StoredClient)[]).filter(
      (key) => JSON.stringify(values[key]) !== JSON.stringify(existing[key]),
    );
    if (changed.length === 0) return { ok: true, client: toClientContract(existing), createdAt: existing.created_at, created: false };
    // updated_at strictly later, so a second refresh that read this same row fails its readAt check.
    const updated: StoredClient = { ...existing, ...values, updated_at: Math.max(Date.now(), existing.updated_at + 1) };
    if (!(await this.store.update(clientId, { ...values, updated_at: updated.updated_at }, ANY_STATUS, existing.updated_at))) {
      // Changed (an administrator's PATCH, another replica's refresh) or deleted since it was read: start again
      // from what is stored now rather than overwrite it with values merged from an older row.
      return this.upsertWithId(clientId, input, context);
    }
    this.#audit('client_updated', clientId, context, { changed, registration_source: context.source });
    return { ok: true, client: toClientContract(updated), createdAt: existing.created_at, created: false };
  }

  #checkWithId(input: ClientMetadataInput, context: RegistrationContext) {
    const checked = this.#check(input, context);
    if (checked.ok && CONFIDENTIAL_METHODS.has(checked.fields.token_endpoint_auth_method)) {
      return { ok: false as const, problems: [{ field: 'token_endpoint_auth_method', message: 'a client that names its own id cannot hold a shared secret' }] };
    }
    return checked;
  }

  purgeUnused(source: string, unusedSince: number): Promise<number> {
    return this.store.deleteUnused(source, unusedSince);
  }

  /**
   * The admin API's schema and field rules, with this registration path's grant policy. A registration that omits
   * application_type but lists a private-use scheme (Cursor's `cursor://…`) is a native app (RFC 8252 §7.1):
   * self-registering clients rarely send the field.
   */
  #check(input: ClientMetadataInput, context: RegistrationContext) {
    const body: Record<string, unknown> = {
      client_name: input.client_name,
      redirect_uris: [...input.redirect_uris],
      grant_types: [...input.grant_types],
      token_endpoint_auth_method: input.token_endpoint_auth_method,
      scope: input.scope ?? '',
      ...(input.response_types ? { response_types: [...input.response_types] } : {}),
      ...(input.agent !== undefined ? { agent: input.agent } : {}),
      ...(input.agent_description !== undefined ? { agent_description: input.agent_description } : {}),
      // RFC 7591 §2 keys of a private_key_jwt client arrive as metadata; the admin API's rules check them.
      ...(input.metadata?.jwks !== undefined ? { jwks: input.metadata.jwks } : {}),
      ...(input.metadata?.jwks_uri !== undefined ? { jwks_uri: input.metadata.jwks_uri } : {}),
    };
    const applicationType = input.application_type ?? (input.redirect_uris.some((uri) => !/^https?:/i.test(uri)) ? 'native' : undefined);
    if (applicationType) body.application_type = applicationType;
    let fields: ClientFields;
    try {
      fields = this.#validate(body);
    } catch (err) {
      if (err instanceof ProblemError) return { ok: false as const, problems: err.extra.errors as FieldProblem[] };
      throw err;
    }
    const allowed = context.allowedGrantTypes;
    const enabled = (this.runtime().discovery.document().grant_types_supported as string[] | undefined) ?? [];
    const policy: GrantPolicy = allowed
      ? { accepts: (grant) => allowed.includes(grant) && this.grantEnabled(grant), expected: allowed.filter(this.grantEnabled).join(', ') }
      : { accepts: this.grantEnabled, expected: enabled.join(', ') };
    return checkClientFields(fields, policy);
  }

  #newClient(
    clientId: string,
    fields: NormalizedFields,
    input: ClientMetadataInput,
    context: RegistrationContext,
    secret: string | undefined,
  ): StoredClient {
    const now = Date.now();
    return {
      ...fields,
      client_id: clientId,
      secret_digest: secret ? secretDigest(secret) : null,
      status: 'active',
      registration_source: context.source,
      created_at: now,
      updated_at: now,
      last_used_at: null,
      metadata: { ...(input.metadata ?? {}) },
      admin_fields: [],
    };
  }

  #registered(client: StoredClient, context: RegistrationContext): void {
    this.registered.inc({ source: client.registration_source });
    this.#audit('client_registered', client.client_id, context, {
      client_name: client.client_name,
      registration_source: client.registration_source,
      token_endpoint_auth_method: client.token_endpoint_auth_method,
      grant_types: client.grant_types,
      redirect_uris: client.redirect_uris,
    });
  }

  #audit(action: string, clientId: string, context: RegistrationContext, detail: Record<string, unknown>): void {
    this.runtime().audit.emit({
      action,
      actor_id: context.actor_id ?? context.source,
      client_id: clientId,
      ip: context.ip ?? null,
      request_id: context.request_id ?? null,
      detail,
    });
  }
}

function problem(field: string, message: string): ClientRegistration {
  return { ok: false, problems: [{ field, message }] };
}
