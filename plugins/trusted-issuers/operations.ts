/**
 * Every admin operation on trusted issuers and their workload rules, shared by the admin API and the CLI so both
 * validate, audit and answer the same way. Errors are RFC 9457 problems (the CLI prints their detail).
 */
import { badRequest, bodyValidator, conflict, notFound, pageQuery, ProblemError, uuidv7, type Page, type RuntimeApi } from 'authplane';
import { createIssuerSchema, createRuleSchema, updateIssuerSchema, type IssuerFields } from './schema.js';
import { IDP_ORDER, type IssuerStore, type IssuerValues } from './store.js';
import { AssertionRejected, type TrustedIssuer, type WorkloadRule } from './types.js';
import type { TrustedIssuerService } from './verifier.js';

export interface Actor {
  actor_id: string;
  ip?: string | null;
  request_id?: string | null;
}

const LOOPBACK = new Set(['127.0.0.1', '[::1]', 'localhost']);

/** https, or http on a loopback host (local development, tests): an issuer's keys must not travel in the clear. */
function urlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an absolute URL';
  }
  if (url.username || url.password) return 'must not contain user information';
  if (url.hash) return 'must not contain a fragment';
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && LOOPBACK.has(url.hostname)) return undefined;
  return 'must use https (http only on loopback hosts)';
}

function checkUrls(fields: Partial<IssuerFields>): void {
  const problems = (['issuer', 'jwks_uri'] as const).flatMap((field) => {
    const value = fields[field];
    const problem = typeof value === 'string' ? urlProblem(value) : undefined;
    return problem ? [{ field, message: problem }] : [];
  });
  if (problems.length) throw badRequest(problems.map((p) => `${p.field}: ${p.message}`).join('; '), { errors: problems });
}

export class IssuerOperations {
  readonly #validateCreate = bodyValidator(createIssuerSchema);
  readonly #validateUpdate = bodyValidator(updateIssuerSchema);
  readonly #validateRule = bodyValidator(createRuleSchema);

  constructor(
    private readonly store: IssuerStore,
    private readonly service: TrustedIssuerService,
    private readonly runtime: () => RuntimeApi,
  ) {}

  async create(body: unknown, actor: Actor): Promise<TrustedIssuer> {
    const input = this.#validateCreate(body);
    checkUrls(input);
    const now = this.runtime().now();
    const values: IssuerValues = {
      id: uuidv7(),
      name: input.name,
      issuer: input.issuer,
      jwks_uri: input.jwks_uri ?? null,
      audience: input.audience ?? null,
      enabled: input.enabled ?? true,
      workload: input.workload ?? false,
      subject_mode: input.subject_mode ?? 'auto_map',
      created_at: now,
      updated_at: now,
    };
    let created: TrustedIssuer;
    try {
      created = await this.store.insert(values);
    } catch (err) {
      if (this.runtime().dialect.isUniqueViolation(err)) throw conflict(`a trusted issuer named '${input.name}' or with issuer ${input.issuer} already exists`);
      throw err;
    }
    this.service.invalidate();
    this.#audit('idp_created', actor, { idp_id: created.id, name: created.name, issuer: created.issuer, workload: created.workload });
    return created;
  }

  /** One page of trusted issuers, by name: `raw` is the query (`limit`, `cursor`). */
  list(raw: Readonly<Record<string, unknown>> = {}): Promise<Page<TrustedIssuer>> {
    return this.store.page(pageQuery(raw, IDP_ORDER).page);
  }

  async get(idOrName: string): Promise<TrustedIssuer> {
    const found = await this.store.find(idOrName);
    if (!found) throw notFound(`trusted issuer '${idOrName}' not found`);
    return found;
  }

  async update(idOrName: string, body: unknown, actor: Actor): Promise<TrustedIssuer> {
    const patch = this.#validateUpdate(body);
    checkUrls(patch);
    const current = await this.get(idOrName);
    const values: Partial<IssuerValues> = { ...patch, updated_at: Math.max(this.runtime().now(), Date.parse(current.updated_at) + 1) };
    try {
      if (!(await this.store.update(current.id, values))) throw notFound(`trusted issuer '${idOrName}' not found`);
    } catch (err) {
      if (this.runtime().dialect.isUniqueViolation(err)) throw conflict('another trusted issuer has that name or issuer');
      throw err;
    }
    this.service.invalidate();
    this.#audit('idp_updated', actor, { idp_id: current.id, changed: Object.keys(patch) });
    return this.get(current.id);
  }

  async delete(idOrName: string, actor: Actor): Promise<void> {
    const current = await this.get(idOrName);
    if (!(await this.store.delete(current.id))) throw notFound(`trusted issuer '${idOrName}' not found`);
    this.service.invalidate();
    this.#audit('idp_deleted', actor, { idp_id: current.id, name: current.name, issuer: current.issuer });
  }

  /** Fetches the issuer's JWKS now (discovering its URL again when it is not configured). */
  async refresh(idOrName: string, actor: Actor): Promise<{ jwks_uri: string; keys: number }> {
    const current = await this.get(idOrName);
    this.service.invalidate();
    try {
      const uri = await this.service.jwksUri(current);
      const keys = await this.service.cache.refresh(uri);
      this.#audit('idp_jwks_refreshed', actor, { idp_id: current.id, jwks_uri: uri, keys });
      return { jwks_uri: uri, keys };
    } catch (err) {
      if (err instanceof AssertionRejected) throw new ProblemError(502, 'Bad Gateway', `the issuer's keys could not be fetched: ${err.message}`, { cause: err });
      throw err;
    }
  }

  async rules(idOrName: string): Promise<WorkloadRule[]> {
    return this.store.rules((await this.get(idOrName)).id);
  }

  async addRule(idOrName: string, body: unknown, actor: Actor): Promise<WorkloadRule> {
    const input = this.#validateRule(body);
    const issuer = await this.get(idOrName);
    if (!issuer.workload) throw conflict(`trusted issuer '${issuer.name}' is not marked for workloads (set workload: true first)`);
    const rule = await this.store.insertRule({
      id: uuidv7(),
      issuer_id: issuer.id,
      subject: input.subject,
      claims: input.claims ?? {},
      client_id: input.client_id,
      created_at: this.runtime().now(),
    });
    this.#audit('workload_rule_created', actor, { idp_id: issuer.id, rule_id: rule.id, subject: rule.subject, client_id: rule.client_id });
    return rule;
  }

  async deleteRule(idOrName: string, ruleId: string, actor: Actor): Promise<void> {
    const issuer = await this.get(idOrName);
    if (!(await this.store.deleteRule(issuer.id, ruleId))) throw notFound(`workload rule '${ruleId}' not found`);
    this.#audit('workload_rule_deleted', actor, { idp_id: issuer.id, rule_id: ruleId });
  }

  #audit(action: string, actor: Actor, detail: Record<string, unknown>): void {
    this.runtime().audit.emit({ action, actor_id: actor.actor_id, ip: actor.ip ?? null, request_id: actor.request_id ?? null, detail });
  }
}
