/**
 * Cross-App Access policies and subject mappings: their table queries and the admin operations behind
 * `/admin/xaa/policies` and `/admin/xaa/subject-mappings`. Errors are RFC 9457 problems.
 */
import { adminActor, badRequest, bodyValidator, conflict, creationOrder, mapPage, notFound, pageQuery, readJson, runPage, sendPage, uuidv7, type AdminActor, type Page, type PageRequest, type RegisterApi, type RuntimeApi } from 'authplane';
import { createMappingSchema, createPolicySchema, updatePolicySchema } from './schema.js';

export interface XaaPolicy {
  id: string;
  idp_id: string;
  client_ids: string[];
  scopes: string[];
  resources: string[];
  enabled: boolean;
  created_at: string;
  updated_at: string;
}

export interface SubjectMapping {
  id: string;
  idp_id: string;
  idp_subject: string;
  subject: string;
  created_at: string;
}

type Row = Record<string, unknown>;
const iso = (ms: unknown) => new Date(Number(ms)).toISOString();
const LISTS = ['client_ids', 'scopes', 'resources'] as const;

/**
 * Policies and mappings are read on every ID-JAG; they are kept this long (ms). A change made through this server
 * applies at once (every write clears them); one made on another replica within this time.
 */
const READ_CACHE_MS = 5000;

/** The admin lists' orders: oldest first, the id breaking ties (migrations/jwt-bearer/0002_xaa_paging.ts). */
const POLICY_ORDER = creationOrder('xaa-policies');
const MAPPING_ORDER = creationOrder('xaa-subject-mappings');

export class XaaStore {
  readonly #cache = new Map<string, { at: number; value: unknown }>();

  constructor(private readonly runtime: () => RuntimeApi) {}

  async #cached<T>(key: string, read: () => Promise<T>): Promise<T> {
    const now = this.runtime().now();
    const hit = this.#cache.get(key);
    if (hit && now - hit.at < READ_CACHE_MS) return hit.value as T;
    const value = await read();
    this.#cache.set(key, { at: now, value });
    return value;
  }

  /** The enabled-or-not policies of one issuer, as the grant reads them (cached, see READ_CACHE_MS). */
  policiesOf(idpId: string): Promise<XaaPolicy[]> {
    return this.#cached(`p:${idpId}`, () => this.policies(idpId));
  }

  /** The local subject one issuer's `sub` is mapped to (cached, see READ_CACHE_MS). */
  mappedSubject(idpId: string, idpSubject: string): Promise<string | undefined> {
    return this.#cached(`m:${idpId}\n${idpSubject}`, () => this.mapped(idpId, idpSubject));
  }

  #written(): void {
    this.#cache.clear();
  }

  #policy(row: Row): XaaPolicy {
    const { parseJson } = this.runtime().dialect;
    return {
      id: row.id as string,
      idp_id: row.idp_id as string,
      client_ids: parseJson(row.client_ids),
      scopes: parseJson(row.scopes),
      resources: parseJson(row.resources),
      enabled: Boolean(row.enabled),
      created_at: iso(row.created_at),
      updated_at: iso(row.updated_at),
    };
  }

  #mapping(row: Row): SubjectMapping {
    return { id: row.id as string, idp_id: row.idp_id as string, idp_subject: row.idp_subject as string, subject: row.subject as string, created_at: iso(row.created_at) };
  }

  async policies(idpId?: string): Promise<XaaPolicy[]> {
    const query = this.runtime().db('xaa_policies').select('*').orderBy('created_at');
    if (idpId) query.where({ idp_id: idpId });
    return ((await query) as Row[]).map((row) => this.#policy(row));
  }

  /** One page of the admin list, under one issuer when given. */
  async policyPage(idpId: string | undefined, page: PageRequest): Promise<Page<XaaPolicy>> {
    const query = this.runtime().db('xaa_policies').select('*');
    if (idpId) query.where({ idp_id: idpId });
    return mapPage(await runPage<Row>(query, POLICY_ORDER, page), (row) => this.#policy(row));
  }

  async policy(id: string): Promise<XaaPolicy | undefined> {
    const row = (await this.runtime().db('xaa_policies').where({ id }).first()) as Row | undefined;
    return row && this.#policy(row);
  }

  async writePolicy(policy: XaaPolicy, insert: boolean): Promise<void> {
    const { json } = this.runtime().dialect;
    const row = { ...policy, client_ids: json(policy.client_ids), scopes: json(policy.scopes), resources: json(policy.resources), created_at: Date.parse(policy.created_at), updated_at: Date.parse(policy.updated_at) };
    try {
      if (insert) await this.runtime().db('xaa_policies').insert(row);
      else await this.runtime().db('xaa_policies').where({ id: policy.id }).update(row);
    } finally {
      this.#written();
    }
  }

  async deletePolicy(id: string): Promise<boolean> {
    try {
      return (await this.runtime().db('xaa_policies').where({ id }).delete()) > 0;
    } finally {
      this.#written();
    }
  }

  /** One page of the admin list, under one issuer when given. */
  async mappingPage(idpId: string | undefined, page: PageRequest): Promise<Page<SubjectMapping>> {
    const query = this.runtime().db('xaa_subject_mappings').select('*');
    if (idpId) query.where({ idp_id: idpId });
    return mapPage(await runPage<Row>(query, MAPPING_ORDER, page), (row) => this.#mapping(row));
  }

  async mapped(idpId: string, idpSubject: string): Promise<string | undefined> {
    const row = (await this.runtime().db('xaa_subject_mappings').where({ idp_id: idpId, idp_subject: idpSubject }).first()) as Row | undefined;
    return row?.subject as string | undefined;
  }

  async insertMapping(mapping: SubjectMapping): Promise<void> {
    try {
      await this.runtime().db('xaa_subject_mappings').insert({ ...mapping, created_at: Date.parse(mapping.created_at) });
    } finally {
      this.#written();
    }
  }

  async deleteMapping(id: string): Promise<boolean> {
    try {
      return (await this.runtime().db('xaa_subject_mappings').where({ id }).delete()) > 0;
    } finally {
      this.#written();
    }
  }
}

/** The admin routes; each write is audited (`xaa_policy_*`, `xaa_subject_mapping_*`). */
export function registerXaaRoutes(api: RegisterApi, store: XaaStore): void {
  const validatePolicy = bodyValidator(createPolicySchema);
  const validatePatch = bodyValidator(updatePolicySchema);
  const validateMapping = bodyValidator(createMappingSchema);
  const runtime = api.runtime;
  const idpId = async (idp: string) => {
    const found = await runtime().use('trustedIssuers').find(idp);
    if (!found) throw badRequest(`idp: trusted issuer '${idp}' not found`, { errors: [{ field: 'idp', message: 'is not a registered trusted issuer' }] });
    return found.id;
  };
  const audit = (action: string, actor: AdminActor, detail: Record<string, unknown>) => runtime().audit.emit({ action, ...actor, detail });
  const filterIdp = async (idp: string | undefined) => (idp === undefined ? undefined : idpId(idp));

  api.route('admin', 'GET', '/admin/xaa/policies', async (ctx) => {
    const { filters, page } = pageQuery(ctx.query, POLICY_ORDER, ['idp'] as const);
    sendPage(ctx, 'policies', await store.policyPage(await filterIdp(filters.idp), page));
  });
  api.route('admin', 'POST', '/admin/xaa/policies', async (ctx) => {
    const input = validatePolicy(readJson(ctx));
    const now = new Date(runtime().now()).toISOString();
    const policy: XaaPolicy = {
      id: uuidv7(),
      idp_id: await idpId(input.idp),
      client_ids: input.client_ids ?? [],
      scopes: input.scopes ?? [],
      resources: input.resources ?? [],
      enabled: input.enabled ?? true,
      created_at: now,
      updated_at: now,
    };
    await store.writePolicy(policy, true);
    audit('xaa_policy_created', adminActor(ctx), { policy_id: policy.id, idp_id: policy.idp_id });
    ctx.status = 201;
    ctx.set('Location', `/admin/xaa/policies/${policy.id}`);
    ctx.body = policy;
  });
  api.route('admin', 'GET', '/admin/xaa/policies/:id', async (ctx) => {
    const policy = await store.policy(ctx.params.id as string);
    if (!policy) throw notFound(`policy '${ctx.params.id}' not found`);
    ctx.body = policy;
  });
  api.route('admin', 'PATCH', '/admin/xaa/policies/:id', async (ctx) => {
    const patch = validatePatch(readJson(ctx));
    const current = await store.policy(ctx.params.id as string);
    if (!current) throw notFound(`policy '${ctx.params.id}' not found`);
    const updated: XaaPolicy = { ...current, updated_at: new Date(runtime().now()).toISOString() };
    if (patch.idp !== undefined) updated.idp_id = await idpId(patch.idp);
    for (const list of LISTS) if (patch[list] !== undefined) updated[list] = patch[list]!;
    if (patch.enabled !== undefined) updated.enabled = patch.enabled;
    await store.writePolicy(updated, false);
    audit('xaa_policy_updated', adminActor(ctx), { policy_id: updated.id, changed: Object.keys(patch) });
    ctx.body = updated;
  });
  api.route('admin', 'DELETE', '/admin/xaa/policies/:id', async (ctx) => {
    if (!(await store.deletePolicy(ctx.params.id as string))) throw notFound(`policy '${ctx.params.id}' not found`);
    audit('xaa_policy_deleted', adminActor(ctx), { policy_id: ctx.params.id });
    ctx.status = 204;
  });

  api.route('admin', 'GET', '/admin/xaa/subject-mappings', async (ctx) => {
    const { filters, page } = pageQuery(ctx.query, MAPPING_ORDER, ['idp'] as const);
    sendPage(ctx, 'subject_mappings', await store.mappingPage(await filterIdp(filters.idp), page));
  });
  api.route('admin', 'POST', '/admin/xaa/subject-mappings', async (ctx) => {
    const input = validateMapping(readJson(ctx));
    const mapping: SubjectMapping = {
      id: uuidv7(),
      idp_id: await idpId(input.idp),
      idp_subject: input.idp_subject,
      subject: input.subject,
      created_at: new Date(runtime().now()).toISOString(),
    };
    try {
      await store.insertMapping(mapping);
    } catch (err) {
      if (runtime().dialect.isUniqueViolation(err)) throw conflict(`the issuer's subject '${input.idp_subject}' is already mapped`);
      throw err;
    }
    audit('xaa_subject_mapping_created', adminActor(ctx), { mapping_id: mapping.id, idp_id: mapping.idp_id, idp_subject: mapping.idp_subject, subject: mapping.subject });
    ctx.status = 201;
    ctx.body = mapping;
  });
  api.route('admin', 'DELETE', '/admin/xaa/subject-mappings/:id', async (ctx) => {
    if (!(await store.deleteMapping(ctx.params.id as string))) throw notFound(`subject mapping '${ctx.params.id}' not found`);
    audit('xaa_subject_mapping_deleted', adminActor(ctx), { mapping_id: ctx.params.id });
    ctx.status = 204;
  });
}
